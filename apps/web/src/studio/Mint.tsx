import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { api, idempotencyKey, unwrap, type Schemas } from '../api/client';
import { EditionLabel } from '../components/Cards';
import { Loading, ProblemNote } from '../components/Problem';
import { useCollection } from './Collections';
import { MediaField } from './MediaField';
import { useStudioWords } from './register';

interface Attribute {
  trait: string;
  value: string;
}

/** The common NFT metadata shape the API validates (libs/content metadata.ts). */
interface NftMetadata {
  name: string;
  description: string;
  image: string;
  animation_url?: string;
  attributes: { trait_type: string; value: string }[];
}

/** Seconds since `running` turned true, ticking while it stays true. */
function useElapsed(running: boolean): number {
  const [seconds, setSeconds] = useState(0);
  useEffect(() => {
    setSeconds(0);
    if (!running) return;
    const started = Date.now();
    const timer = setInterval(() => setSeconds(Math.floor((Date.now() - started) / 1000)), 1000);
    return () => clearInterval(timer);
  }, [running]);
  return seconds;
}

/** Upload media, write the metadata, mint a 1 of 1 or N numbered editions into the collection. */
export function MintPage() {
  const { t } = useStudioWords();
  const collection = useCollection();
  const queries = useQueryClient();
  const [image, setImage] = useState<Schemas['MediaView'] | null>(null);
  const [animation, setAnimation] = useState<Schemas['MediaView'] | null>(null);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [attributes, setAttributes] = useState<Attribute[]>([]);
  const [numbered, setNumbered] = useState(false);
  const [editions, setEditions] = useState('10');
  const [confirming, setConfirming] = useState(false);
  const [invalid, setInvalid] = useState<string | null>(null);
  const [formKey, setFormKey] = useState(0);
  // One key per content: a retry of the same request (say after a dropped connection) mints once.
  const attempt = useRef<{ key: string; body: string } | null>(null);
  const mint = useMutation({
    mutationFn: (item: Schemas['MintItemDto']) => {
      const body = JSON.stringify(item);
      if (attempt.current?.body !== body) attempt.current = { key: idempotencyKey(), body };
      return unwrap(
        api.POST('/collections/{id}/mint', {
          params: { path: { id: collection.data!.id } },
          body: { idempotencyKey: attempt.current.key, items: [item] },
        }),
      );
    },
    onSuccess: () =>
      Promise.all([
        queries.invalidateQueries({ queryKey: ['collection', collection.data!.id] }),
        queries.invalidateQueries({ queryKey: ['studio'] }),
        queries.invalidateQueries({ queryKey: ['holdings'] }),
      ]),
  });
  const elapsed = useElapsed(mint.isPending);
  if (collection.isPending) return <Loading />;
  if (collection.isError)
    return <ProblemNote error={collection.error} onRetry={() => void collection.refetch()} />;
  const c = collection.data;
  const count = numbered ? Number(editions) : 1;

  const item = (): Schemas['MintItemDto'] => {
    const metadata: NftMetadata = {
      name: name.trim(),
      description: description.trim(),
      image: image!.uri,
      ...(animation ? { animation_url: animation.uri } : {}),
      attributes: attributes
        .filter((row) => row.trait.trim() !== '')
        .map((row) => ({ trait_type: row.trait.trim(), value: row.value.trim() })),
    };
    // The API document types metadata as a bare object (the API validates it against its schema).
    return { editions: count, metadata: metadata as unknown as Schemas['MintItemDto']['metadata'] };
  };
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const problem = !image
      ? t('mint.needImage')
      : !name.trim()
        ? t('mint.needName')
        : !Number.isInteger(count) || count < 1
          ? t('newCollection.badWhole', { min: 1 })
          : null;
    setInvalid(problem);
    if (!problem) setConfirming(true);
  };
  const startOver = () => {
    mint.reset();
    attempt.current = null;
    setImage(null);
    setAnimation(null);
    setName('');
    setDescription('');
    setAttributes([]);
    setConfirming(false);
    setFormKey((key) => key + 1);
  };
  const setRow = (index: number, change: Partial<Attribute>) =>
    setAttributes((rows) => rows.map((row, i) => (i === index ? { ...row, ...change } : row)));

  if (mint.isSuccess) {
    const minted = mint.data.tokenIds;
    return (
      <section>
        <h1>{t('mint.title', { collection: c.name })}</h1>
        <p className="success" role="status">
          {t(minted.length === 1 ? 'mint.doneUnique' : 'mint.done', {
            count: minted.length,
            name: name.trim(),
          })}
        </p>
        <ul className="minted">
          {minted.map((tokenId, index) => (
            <li key={tokenId}>
              <Link to={`/item/${encodeURIComponent(tokenId)}`}>
                {name.trim()} <EditionLabel number={index + 1} total={minted.length} />
              </Link>
            </li>
          ))}
        </ul>
        <p className="actions">
          <Link className="button" to={`/studio/collections/${c.id}`}>
            {t('mint.setPrices')}
          </Link>
          <button type="button" className="secondary" onClick={startOver}>
            {t('mint.another')}
          </button>
        </p>
      </section>
    );
  }

  return (
    <form className="studio-form" onSubmit={onSubmit} key={formKey}>
      <h1>{t('mint.title', { collection: c.name })}</h1>
      <fieldset>
        <legend>{t('mint.media')}</legend>
        <MediaField label={t('mint.image')} kinds={['image']} onUploaded={setImage} />
        <MediaField
          label={t('mint.animation')}
          kinds={['video', 'audio', 'model']}
          onUploaded={setAnimation}
        />
      </fieldset>
      <fieldset>
        <legend>{t('mint.details')}</legend>
        <label>
          {t('mint.name')}
          <input required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          {t('mint.description')}
          <textarea
            maxLength={5000}
            rows={3}
            value={description}
            onChange={(e) => setDescription(e.target.value)}
          />
        </label>
      </fieldset>
      <fieldset>
        <legend>{t('mint.attributes')}</legend>
        <p className="muted">{t('mint.attributesHelp')}</p>
        {attributes.map((row, index) => (
          <div className="row attribute" key={index}>
            <label>
              {t('mint.trait')}
              <input
                maxLength={100}
                value={row.trait}
                onChange={(e) => setRow(index, { trait: e.target.value })}
              />
            </label>
            <label>
              {t('mint.value')}
              <input
                maxLength={500}
                value={row.value}
                onChange={(e) => setRow(index, { value: e.target.value })}
              />
            </label>
            <button
              type="button"
              className="secondary"
              aria-label={t('mint.removeAttribute', { number: index + 1 })}
              onClick={() => setAttributes((rows) => rows.filter((_, i) => i !== index))}
            >
              ×
            </button>
          </div>
        ))}
        <button
          type="button"
          className="secondary"
          onClick={() => setAttributes((rows) => [...rows, { trait: '', value: '' }])}
        >
          {t('mint.addAttribute')}
        </button>
      </fieldset>
      <fieldset className="choices">
        <legend>{t('mint.kind')}</legend>
        <label className="choice">
          <input type="radio" name="kind" checked={!numbered} onChange={() => setNumbered(false)} />
          {t('mint.oneOfOne')}
        </label>
        <label className="choice">
          <input type="radio" name="kind" checked={numbered} onChange={() => setNumbered(true)} />
          {t('mint.editions')}
        </label>
        {numbered && (
          <label>
            {t('mint.editionCount')}
            <input
              type="number"
              min={1}
              max={10000}
              step={1}
              required
              value={editions}
              onChange={(e) => setEditions(e.target.value)}
            />
          </label>
        )}
      </fieldset>
      {invalid && (
        <p role="alert" className="problem">
          {invalid}
        </p>
      )}
      {mint.isError && <ProblemNote error={mint.error} />}
      {mint.isPending ? (
        <p role="status" className="notice">
          <progress
            aria-label={t(count === 1 ? 'mint.mintingUnique' : 'mint.minting', { count, name: name.trim() })}
          />{' '}
          {t(count === 1 ? 'mint.mintingUnique' : 'mint.minting', { count, name: name.trim() })}{' '}
          {t('mint.seconds', { count: elapsed })}
        </p>
      ) : confirming ? (
        <div className="confirm" role="group" aria-label={t('mint.mint')}>
          <p>{t(count === 1 ? 'mint.confirmUnique' : 'mint.confirm', { count, name: name.trim() })}</p>
          <button type="button" onClick={() => mint.mutate(item())}>
            {t('mint.yes')}
          </button>{' '}
          <button type="button" className="secondary" onClick={() => setConfirming(false)}>
            {t('mint.no')}
          </button>
        </div>
      ) : (
        <button type="submit">{t('mint.mint')}</button>
      )}
    </form>
  );
}
