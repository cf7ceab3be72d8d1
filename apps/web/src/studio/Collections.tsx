import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, unwrap, type Schemas } from '../api/client';
import { cursorParam, usePages } from '../api/pages';
import { useAccount } from '../auth';
import { Empty, Loading, ProblemNote } from '../components/Problem';
import { percent } from './money';
import { Pieces } from './Pricing';
import { useStudioWords } from './register';

/** A collection of the studio by the id in the path (shared by its pages through the cache). */
export function useCollection() {
  const { id = '' } = useParams();
  return useQuery({
    queryKey: ['collection', id],
    queryFn: () => unwrap(api.GET('/collections/{id}', { params: { path: { id } } })),
  });
}

/** The creator's collections, newest first. */
export function StudioHome() {
  const { t, tc, i18n } = useStudioWords();
  const handle = useAccount().data!.handle;
  const collections = usePages(['studio', 'collections', handle], (cursor) =>
    unwrap(
      api.GET('/catalogue/collections', {
        params: { query: { creator: handle, limit: 48, ...cursorParam(cursor) } },
      }),
    ),
  );
  if (collections.isPending) return <Loading />;
  if (collections.isError)
    return <ProblemNote error={collections.error} onRetry={() => void collections.refetch()} />;
  const items = collections.items;
  return (
    <>
      <h1>{t('home.title')}</h1>
      {items.length === 0 ? (
        <Empty>
          {t('home.empty')} <Link to="/studio/collections/new">{t('nav.newCollection')}</Link>
        </Empty>
      ) : (
        <ul className="grid">
          {items.map((collection) => (
            <li key={collection.id} className="card">
              <h2 className="card-title">
                <Link to={`/studio/collections/${collection.id}`}>{collection.name}</Link>
              </h2>
              <p className="muted">
                {collection.supplyCap === null
                  ? t('home.minted', { count: collection.minted })
                  : t('home.mintedOfCap', { minted: collection.minted, cap: collection.supplyCap })}
                {' · '}
                {t('home.royalty', { percent: percent(i18n.language, collection.royaltyBps) })}
              </p>
            </li>
          ))}
        </ul>
      )}
      {collections.hasNextPage && (
        <button type="button" onClick={() => void collections.fetchNextPage()}>
          {tc('common.more')}
        </button>
      )}
    </>
  );
}

type Transfers = 'off' | 'gift-only' | 'resale';

/** A whole number of at least `min` from an input, undefined when empty, NaN when not right. */
function wholeNumber(text: string, min: number): number | undefined {
  if (text.trim() === '') return undefined;
  const value = Number(text);
  return Number.isInteger(value) && value >= min ? value : NaN;
}

export function NewCollection() {
  const { t } = useStudioWords();
  const navigate = useNavigate();
  const queries = useQueryClient();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [royalty, setRoyalty] = useState('5');
  const [supplyCap, setSupplyCap] = useState('');
  const [transfers, setTransfers] = useState<Transfers>('resale');
  const [holdDays, setHoldDays] = useState('0');
  const [perBuyerLimit, setPerBuyerLimit] = useState('');
  const [realName, setRealName] = useState(false);
  const [invalid, setInvalid] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: (body: Schemas['CreateCollectionDto']) => unwrap(api.POST('/collections', { body })),
    onSuccess: async (collection) => {
      queries.setQueryData(['collection', collection.id], collection);
      await queries.invalidateQueries({ queryKey: ['studio', 'collections'] });
      await navigate(`/studio/collections/${collection.id}`);
    },
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const royaltyPercent = Number(royalty.replace(',', '.'));
    const royaltyBps = Math.round(royaltyPercent * 100);
    if (
      royalty.trim() === '' ||
      !(royaltyPercent >= 0 && royaltyPercent <= 25) ||
      Math.abs(royaltyPercent * 100 - royaltyBps) > 1e-6
    ) {
      setInvalid(t('newCollection.badRoyalty'));
      return;
    }
    const cap = wholeNumber(supplyCap, 1);
    const hold = wholeNumber(holdDays, 0) ?? 0;
    const limit = wholeNumber(perBuyerLimit, 1);
    if ([cap, hold, limit].some((value) => Number.isNaN(value))) {
      setInvalid(t('newCollection.badWhole', { min: Number.isNaN(hold) ? 0 : 1 }));
      return;
    }
    setInvalid(null);
    create.mutate({
      name: name.trim(),
      ...(description.trim() ? { description: description.trim() } : {}),
      royaltyBps,
      ...(cap !== undefined ? { supplyCap: cap } : {}),
      policy: {
        giftsAllowed: transfers !== 'off',
        resaleAllowed: transfers === 'resale',
        holdDays: hold,
        realNameRequired: realName,
        ...(limit !== undefined ? { perBuyerLimit: limit } : {}),
      },
    });
  };
  return (
    <form className="studio-form" onSubmit={onSubmit}>
      <h1>{t('newCollection.title')}</h1>
      <label>
        {t('newCollection.name')}
        <input required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <label>
        {t('newCollection.description')}
        <textarea
          maxLength={5000}
          rows={3}
          value={description}
          onChange={(e) => setDescription(e.target.value)}
        />
      </label>
      <label>
        {t('newCollection.royalty')}
        <input
          inputMode="decimal"
          required
          value={royalty}
          aria-describedby="royalty-help"
          onChange={(e) => setRoyalty(e.target.value)}
        />
        <span id="royalty-help" className="muted">
          {t('newCollection.royaltyHelp')}
        </span>
      </label>
      <label>
        {t('newCollection.supplyCap')}
        <input
          type="number"
          min={1}
          step={1}
          value={supplyCap}
          aria-describedby="cap-help"
          onChange={(e) => setSupplyCap(e.target.value)}
        />
        <span id="cap-help" className="muted">
          {t('newCollection.supplyCapHelp')}
        </span>
      </label>
      <fieldset>
        <legend>{t('newCollection.policy')}</legend>
        <fieldset className="choices">
          <legend>{t('newCollection.transfers')}</legend>
          {(
            [
              ['off', t('newCollection.transfersOff')],
              ['gift-only', t('newCollection.giftOnly')],
              ['resale', t('newCollection.resale')],
            ] as const
          ).map(([value, label]) => (
            <label key={value} className="choice">
              <input
                type="radio"
                name="transfers"
                value={value}
                checked={transfers === value}
                onChange={() => setTransfers(value)}
              />
              {label}
            </label>
          ))}
        </fieldset>
        <label>
          {t('newCollection.holdDays')}
          <input
            type="number"
            min={0}
            max={3650}
            step={1}
            value={holdDays}
            disabled={transfers === 'off'}
            onChange={(e) => setHoldDays(e.target.value)}
          />
        </label>
        <label>
          {t('newCollection.perBuyerLimit')}
          <input
            type="number"
            min={1}
            step={1}
            value={perBuyerLimit}
            onChange={(e) => setPerBuyerLimit(e.target.value)}
          />
        </label>
        <label className="choice">
          <input type="checkbox" checked={realName} onChange={(e) => setRealName(e.target.checked)} />
          {t('newCollection.realName')}
        </label>
      </fieldset>
      <p className="notice">{t('newCollection.fixed')}</p>
      {invalid && (
        <p role="alert" className="problem">
          {invalid}
        </p>
      )}
      {create.isError && <ProblemNote error={create.error} />}
      <button type="submit" disabled={create.isPending}>
        {create.isPending ? t('newCollection.creating') : t('newCollection.create')}
      </button>
    </form>
  );
}

/** What owners may do with pieces of `policy`, in a sentence or two. */
export function PolicySummary({ policy }: { policy: Schemas['CollectionPolicyView'] }) {
  const { t } = useStudioWords();
  const transfers =
    !policy.giftsAllowed && !policy.resaleAllowed
      ? 'transfersOff'
      : policy.resaleAllowed
        ? 'resale'
        : 'giftOnly';
  return (
    <p className="muted">
      {t(`collection.${transfers}`)}{' '}
      {transfers !== 'transfersOff' &&
        policy.holdDays > 0 &&
        t('collection.holdDays', { count: policy.holdDays })}{' '}
      {policy.realNameRequired && t('collection.realName')}{' '}
      {policy.perBuyerLimit !== null && t('collection.perBuyerLimit', { count: policy.perBuyerLimit })}
    </p>
  );
}

/** One collection: its terms, what to do next, and the pieces the creator still holds. */
export function CollectionPage() {
  const { t, i18n } = useStudioWords();
  const collection = useCollection();
  if (collection.isPending) return <Loading />;
  if (collection.isError)
    return <ProblemNote error={collection.error} onRetry={() => void collection.refetch()} />;
  const c = collection.data;
  return (
    <>
      <h1>{c.name}</h1>
      {c.description && <p>{c.description}</p>}
      <p>
        {t('collection.royalty', { percent: percent(i18n.language, c.royaltyBps) })} ·{' '}
        {c.supplyCap === null
          ? t('collection.supply', { minted: c.minted })
          : t('collection.supplyOfCap', { minted: c.minted, cap: c.supplyCap })}
      </p>
      <PolicySummary policy={c.policy} />
      <p className="actions">
        <Link className="button" to={`/studio/collections/${c.id}/mint`}>
          {t('collection.mint')}
        </Link>
        <Link className="button secondary" to={`/studio/collections/${c.id}/drop`}>
          {t('collection.drop')}
        </Link>
      </p>
      <h2>{t('collection.pieces')}</h2>
      <Pieces collectionId={c.id} />
    </>
  );
}
