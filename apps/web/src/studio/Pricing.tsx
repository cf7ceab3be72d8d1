import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { api, unwrap, type Schemas } from '../api/client';
import { cursorParam, usePages } from '../api/pages';
import { EditionLabel } from '../components/Cards';
import { Empty, Loading, ProblemNote } from '../components/Problem';
import { useFormat } from '../format';
import { CURRENCIES, defaultCurrency, toMajorText, toMinor, type Currency } from './money';
import { useStudioWords } from './register';

/** The pieces of a collection the creator holds, each with its price to set, change or withdraw. */
export function Pieces({ collectionId }: { collectionId: string }) {
  const { t, tc } = useStudioWords();
  const pieces = usePages(['studio', 'pieces', collectionId], (cursor) =>
    unwrap(
      api.GET('/me/holdings', {
        params: { query: { collection: collectionId, limit: 48, ...cursorParam(cursor) } },
      }),
    ),
  );
  if (pieces.isPending) return <Loading />;
  if (pieces.isError) return <ProblemNote error={pieces.error} onRetry={() => void pieces.refetch()} />;
  const items = pieces.items;
  if (items.length === 0) return <Empty>{t('collection.noPieces')}</Empty>;
  return (
    <>
      <ul className="grid">
        {items.map((holding) => (
          <Piece key={holding.tokenId} holding={holding} />
        ))}
      </ul>
      {pieces.hasNextPage && (
        <button type="button" onClick={() => void pieces.fetchNextPage()}>
          {tc('common.more')}
        </button>
      )}
    </>
  );
}

function Piece({ holding }: { holding: Schemas['HoldingView'] }) {
  return (
    <li className="card" data-testid="piece">
      <Link to={`/item/${encodeURIComponent(holding.tokenId)}`}>
        <img src={`/media/${holding.imageCid}`} alt="" loading="lazy" width={320} height={320} />
        <h3>
          {holding.name} <EditionLabel number={holding.editionNumber} total={holding.editionTotal} />
        </h3>
      </Link>
      <PriceEditor holding={holding} />
    </li>
  );
}

/** Put a held piece on sale, change its price, or take it off sale. */
function PriceEditor({ holding }: { holding: Schemas['HoldingView'] }) {
  const { t, i18n } = useStudioWords();
  const format = useFormat();
  const queries = useQueryClient();
  const id = useId();
  const listing = holding.listing;
  const [currency, setCurrency] = useState<Currency>(
    (listing?.currency as Currency | undefined) ?? defaultCurrency(i18n.language),
  );
  const [price, setPrice] = useState(listing ? toMajorText(listing.priceMinor, listing.currency) : '');
  const [invalid, setInvalid] = useState(false);
  const refresh = () =>
    Promise.all([
      queries.invalidateQueries({ queryKey: ['studio', 'pieces', holding.collectionId] }),
      queries.invalidateQueries({ queryKey: ['holdings'] }),
      queries.invalidateQueries({ queryKey: ['token', holding.tokenId] }),
    ]);
  const save = useMutation({
    mutationFn: (priceMinor: number) =>
      listing
        ? unwrap(
            api.PATCH('/listings/{id}', {
              params: { path: { id: listing.listingId } },
              body: { priceMinor },
            }),
          )
        : unwrap(api.POST('/listings', { body: { tokenId: holding.tokenId, priceMinor, currency } })),
    onSuccess: refresh,
  });
  const withdraw = useMutation({
    mutationFn: () =>
      unwrap(api.POST('/listings/{id}/withdraw', { params: { path: { id: listing!.listingId } } })),
    onSuccess: async () => {
      setPrice('');
      await refresh();
    },
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const minor = toMinor(price, currency);
    setInvalid(minor === null);
    if (minor !== null) save.mutate(minor);
  };
  const busy = save.isPending || withdraw.isPending;
  return (
    <form className="price-editor" onSubmit={onSubmit}>
      {listing && (
        <p data-testid="listed">
          {t('pricing.listed', { price: format.money(listing.priceMinor, listing.currency) })}
        </p>
      )}
      <div className="row">
        <label htmlFor={`${id}-price`}>
          {listing ? t('pricing.newPrice') : t('pricing.price')}
          <input
            id={`${id}-price`}
            inputMode="decimal"
            required
            value={price}
            aria-invalid={invalid}
            onChange={(e) => setPrice(e.target.value)}
          />
        </label>
        <label htmlFor={`${id}-currency`}>
          {t('pricing.currency')}
          <select
            id={`${id}-currency`}
            value={currency}
            disabled={listing !== null}
            onChange={(e) => setCurrency(e.target.value as Currency)}
          >
            {CURRENCIES.map((code) => (
              <option key={code} value={code}>
                {code}
              </option>
            ))}
          </select>
        </label>
      </div>
      {invalid && (
        <p role="alert" className="problem">
          {t('pricing.badPrice')}
        </p>
      )}
      {save.isError && <ProblemNote error={save.error} />}
      {withdraw.isError && <ProblemNote error={withdraw.error} />}
      <div className="actions">
        <button type="submit" disabled={busy}>
          {listing ? t('pricing.reprice') : t('pricing.list')}
        </button>
        {listing && (
          <button type="button" className="secondary" disabled={busy} onClick={() => withdraw.mutate()}>
            {t('pricing.withdraw')}
          </button>
        )}
      </div>
    </form>
  );
}
