import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { useParams } from 'react-router';
import { api, unwrap } from '../api/client';
import { useAccount } from '../auth';
import { Loading, ProblemNote } from '../components/Problem';
import { useFormat } from '../format';
import { Checkout } from './Checkout';

/** A drop: its price and editions; buy any edition, or enter the lottery and see the result. */
export function Drop() {
  const { t } = useTranslation();
  const format = useFormat();
  const { '*': dropId = '' } = useParams();
  const account = useAccount().data;
  const queries = useQueryClient();
  const drop = useQuery({
    queryKey: ['drop', dropId, account?.id],
    queryFn: () => unwrap(api.GET('/drops/{id}', { params: { path: { id: dropId } } })),
  });
  const collection = useQuery({
    queryKey: ['collection', drop.data?.collectionId],
    queryFn: () =>
      unwrap(api.GET('/collections/{id}', { params: { path: { id: drop.data!.collectionId } } })),
    enabled: drop.data !== undefined,
  });
  const enter = useMutation({
    mutationFn: () => unwrap(api.POST('/drops/{id}/entries', { params: { path: { id: dropId } } })),
    onSuccess: () => queries.invalidateQueries({ queryKey: ['drop', dropId] }),
  });
  if (drop.isPending) return <Loading />;
  if (drop.isError) return <ProblemNote error={drop.error} onRetry={() => void drop.refetch()} />;
  const d = drop.data;
  const price = format.money(d.priceMinor, d.currency);
  const started = new Date(d.startsAt).getTime() <= Date.now();
  const entry = d.yourEntry?.status;
  const entriesOpen =
    d.mode === 'lottery' &&
    started &&
    !d.drawnAt &&
    (!d.entriesCloseAt || new Date(d.entriesCloseAt).getTime() > Date.now());
  return (
    <article>
      <h1>{collection.data?.name ?? '…'}</h1>
      {collection.data?.description && <p>{collection.data.description}</p>}
      <p>{t('home.drop', { editions: d.editions, price })}</p>
      <p className="muted">
        {d.mode === 'lottery' ? t('home.lottery') : t('home.firstCome')} ·{' '}
        {started
          ? t('common.available', { available: d.available, total: d.editions })
          : t('common.startsIn', { when: format.when(d.startsAt) })}
      </p>
      {entry && entry !== 'not-entered' && (
        <p role="status" className="notice">
          {t(`drop.${entry}`)}
        </p>
      )}
      {entriesOpen && entry !== 'pending' && account && (
        <button type="button" onClick={() => enter.mutate()} disabled={enter.isPending}>
          {t('drop.enter')}
        </button>
      )}
      {enter.isError && <ProblemNote error={enter.error} />}
      {started && d.available > 0 && (d.mode === 'first-come' || d.drawnAt) && (
        <Checkout target={{ dropId: d.dropId }} price={{ amountMinor: d.priceMinor, currency: d.currency }} />
      )}
      {started && d.available === 0 && <p className="notice">{t('common.soldOut')}</p>}
    </article>
  );
}
