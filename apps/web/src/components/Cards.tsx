import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import type { Schemas } from '../api/client';
import { useFormat } from '../format';

/** "#3 of 100", or "1 of 1" for a unique piece. */
export function EditionLabel({ number, total }: { number: number; total: number }) {
  const { t } = useTranslation();
  return <>{total === 1 ? t('common.oneOfOne') : t('common.edition', { number, total })}</>;
}

/** One piece of the catalogue (a series: its editions grouped), linking to an edition to buy. */
export function SeriesCard({ series }: { series: Schemas['SeriesSummaryView'] }) {
  const { t } = useTranslation();
  const format = useFormat();
  const target = series.cheapest?.tokenId ?? series.id;
  const { available, total } = series.editions;
  return (
    <li className="card">
      <Link to={`/item/${encodeURIComponent(target)}`}>
        <img src={series.mediaUrl} alt="" loading="lazy" width={320} height={320} />
        <h3>{series.name}</h3>
      </Link>
      <p className="muted">
        {series.collection.name} · {t('common.by', { handle: series.creatorHandle })}
      </p>
      <p>
        {series.cheapest
          ? t('browse.from', {
              price: format.money(series.cheapest.price.amountMinor, series.cheapest.price.currency),
            })
          : available === 0 && total > 0
            ? t('common.soldOut')
            : t('common.notForSale')}
        {total > 1 && <span className="muted"> · {t('common.available', { available, total })}</span>}
      </p>
    </li>
  );
}
