import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, unwrap, type Schemas } from '../api/client';
import { SeriesCard } from '../components/Cards';
import { Empty, Loading, ProblemNote } from '../components/Problem';
import { useFormat } from '../format';

function useDrops(state: 'live' | 'upcoming') {
  return useQuery({
    queryKey: ['drops', state],
    queryFn: () => unwrap(api.GET('/drops', { params: { query: { state, limit: 12 } } })),
  });
}

function DropCard({ drop }: { drop: Schemas['DropView'] }) {
  const { t } = useTranslation();
  const format = useFormat();
  const collection = useQuery({
    queryKey: ['collection', drop.collectionId],
    queryFn: () => unwrap(api.GET('/collections/{id}', { params: { path: { id: drop.collectionId } } })),
    staleTime: 300_000,
  });
  const started = new Date(drop.startsAt).getTime() <= Date.now();
  return (
    <li className="card drop">
      <Link to={`/drop/${drop.dropId}`}>
        <h3>{collection.data?.name ?? '…'}</h3>
      </Link>
      <p>
        {t('home.drop', { editions: drop.editions, price: format.money(drop.priceMinor, drop.currency) })}
      </p>
      <p className="muted">
        {drop.mode === 'lottery' ? t('home.lottery') : t('home.firstCome')} ·{' '}
        {started
          ? drop.available === 0
            ? t('common.soldOut')
            : t('common.available', { available: drop.available, total: drop.editions })
          : t('common.startsIn', { when: format.when(drop.startsAt) })}
      </p>
    </li>
  );
}

function DropList({ state }: { state: 'live' | 'upcoming' }) {
  const { t } = useTranslation();
  const drops = useDrops(state);
  if (drops.isPending) return <Loading />;
  if (drops.isError) return <ProblemNote error={drops.error} onRetry={() => void drops.refetch()} />;
  if (drops.data.items.length === 0)
    return <Empty>{state === 'live' ? t('home.noLive') : t('home.noUpcoming')}</Empty>;
  return (
    <ul className="grid">
      {drops.data.items.map((drop) => (
        <DropCard key={drop.dropId} drop={drop} />
      ))}
    </ul>
  );
}

export function Home() {
  const { t } = useTranslation();
  const latest = useQuery({
    queryKey: ['series', 'latest'],
    queryFn: () => unwrap(api.GET('/catalogue/series', { params: { query: { limit: 12 } } })),
  });
  return (
    <>
      <h1>{t('home.title')}</h1>
      <section aria-labelledby="live">
        <h2 id="live">{t('home.live')}</h2>
        <DropList state="live" />
      </section>
      <section aria-labelledby="upcoming">
        <h2 id="upcoming">{t('home.upcoming')}</h2>
        <DropList state="upcoming" />
      </section>
      <section aria-labelledby="latest">
        <h2 id="latest">{t('home.latest')}</h2>
        {latest.isPending ? (
          <Loading />
        ) : latest.isError ? (
          <ProblemNote error={latest.error} onRetry={() => void latest.refetch()} />
        ) : latest.data.items.length === 0 ? (
          <Empty>{t('home.noPieces')}</Empty>
        ) : (
          <ul className="grid">
            {latest.data.items.map((series) => (
              <SeriesCard key={series.id} series={series} />
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
