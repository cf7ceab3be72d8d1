import { ApiProblem, session, type Schemas } from '../api/client';

export type MediaKind = 'image' | 'video' | 'audio' | 'model';

/** The types POST /media accepts (libs/content ALLOWED_MEDIA_TYPES), by kind. */
export const MEDIA_TYPES: Record<MediaKind, readonly string[]> = {
  image: ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif'],
  video: ['video/mp4', 'video/webm'],
  audio: ['audio/mpeg', 'audio/ogg', 'audio/wav', 'audio/flac'],
  model: ['model/gltf-binary'],
};

/** The API's default upload limit (MAX_UPLOAD_BYTES); a smaller configured one answers 413. */
export const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;

/** Types a browser reports when it does not know: the API's sniffing decides. */
export const NO_CLAIM = new Set(['', 'application/octet-stream']);

/** The kind of a file by the type the browser reports; undefined when it reports none we know. */
export function kindOf(file: File): MediaKind | undefined {
  const type = file.type.toLowerCase();
  if (type === 'model/gltf-binary' || file.name.toLowerCase().endsWith('.glb')) return 'model';
  return (Object.keys(MEDIA_TYPES) as MediaKind[]).find((kind) => MEDIA_TYPES[kind].includes(type));
}

/**
 * Sends the file's raw bytes to POST /media, reporting the share sent (0..1) as it goes. Through
 * XMLHttpRequest because fetch reports no upload progress; the answer is the API's MediaView.
 */
export function uploadMedia(
  file: File,
  onProgress: (share: number) => void,
  signal?: AbortSignal,
): Promise<Schemas['MediaView']> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', '/media');
    const token = session.token();
    if (token) request.setRequestHeader('authorization', `Bearer ${token}`);
    // The bytes decide the type; a browser's guess is sent only when it has one.
    request.setRequestHeader('content-type', file.type || 'application/octet-stream');
    request.responseType = 'json';
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    request.onload = () => {
      if (request.status === 201) resolve(request.response as Schemas['MediaView']);
      else reject(new ApiProblem(request.status, (request.response ?? {}) as ApiProblem['problem']));
    };
    request.onerror = () => reject(new ApiProblem(0, { type: 'network' }));
    signal?.addEventListener('abort', () => request.abort());
    request.send(file);
  });
}
