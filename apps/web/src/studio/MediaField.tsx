import { useMutation } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import type { Schemas } from '../api/client';
import { ProblemNote } from '../components/Problem';
import { byteSize } from './money';
import { useStudioWords } from './register';
import { MAX_UPLOAD_BYTES, MEDIA_TYPES, NO_CLAIM, kindOf, uploadMedia, type MediaKind } from './upload';

/** A file input that previews the chosen file, uploads it at once with progress, and reports the result. */
export function MediaField({
  label,
  kinds,
  onUploaded,
}: {
  label: string;
  kinds: readonly MediaKind[];
  onUploaded: (media: Schemas['MediaView'] | null) => void;
}) {
  const { t, i18n } = useStudioWords();
  const id = useId();
  const [file, setFile] = useState<File | null>(null);
  const [preview, setPreview] = useState<string | null>(null);
  const [share, setShare] = useState(0);
  const [refused, setRefused] = useState<string | null>(null);
  const accepted = kinds.flatMap((kind) => MEDIA_TYPES[kind]);
  const upload = useMutation({
    mutationFn: (chosen: File) => uploadMedia(chosen, setShare),
    onSuccess: (media) => onUploaded(media),
  });
  useEffect(() => () => void (preview && URL.revokeObjectURL(preview)), [preview]);
  const choose = (chosen: File | undefined) => {
    onUploaded(null);
    upload.reset();
    setShare(0);
    setFile(chosen ?? null);
    setPreview(chosen ? URL.createObjectURL(chosen) : null);
    if (!chosen) return;
    const kind = kindOf(chosen);
    // The API reads the type from the bytes; this only spares a pointless upload of a known mismatch.
    if (!NO_CLAIM.has(chosen.type) && (kind === undefined || !kinds.includes(kind))) {
      setRefused(
        t('mint.badType', { types: accepted.map((type) => type.split('/')[1].toUpperCase()).join(', ') }),
      );
      return;
    }
    if (chosen.size > MAX_UPLOAD_BYTES) {
      setRefused(t('mint.tooLarge', { size: byteSize(i18n.language, MAX_UPLOAD_BYTES) }));
      return;
    }
    setRefused(null);
    upload.mutate(chosen);
  };
  const kind = file ? kindOf(file) : undefined;
  return (
    <div className="media-field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="file"
        accept={[...accepted, ...(kinds.includes('model') ? ['.glb'] : [])].join(',')}
        aria-describedby={`${id}-limits`}
        onChange={(event) => choose(event.target.files?.[0])}
      />
      <span id={`${id}-limits`} className="muted">
        {t('mint.limits', { size: byteSize(i18n.language, MAX_UPLOAD_BYTES) })}
      </span>
      {preview && (
        <figure className="preview">
          {kind === 'image' ? (
            <img src={preview} alt={t('mint.preview')} />
          ) : kind === 'video' ? (
            <video src={preview} controls aria-label={t('mint.preview')} />
          ) : kind === 'audio' ? (
            <audio src={preview} controls aria-label={t('mint.preview')} />
          ) : null}
          <figcaption className="muted">
            {file?.name} · {byteSize(i18n.language, file?.size ?? 0)}
          </figcaption>
        </figure>
      )}
      {upload.isPending && (
        <p role="status">
          <progress
            max={1}
            value={share}
            aria-label={t('mint.uploading', { percent: Math.round(share * 100) })}
          />{' '}
          {t('mint.uploading', { percent: Math.round(share * 100) })}
        </p>
      )}
      {upload.isSuccess && (
        <p className="success" role="status">
          {t('mint.uploaded')}
        </p>
      )}
      {refused && (
        <p role="alert" className="problem">
          {refused}
        </p>
      )}
      {upload.isError && <ProblemNote error={upload.error} onRetry={() => file && upload.mutate(file)} />}
    </div>
  );
}
