import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { api, unwrap } from '../api/client';
import { cursorParam, usePages } from '../api/pages';
import { SeriesCard } from '../components/Cards';
import { Empty, Loading, ProblemNote } from '../components/Problem';

/** Catalogue search, editions of a piece grouped; the query lives in the URL so it can be shared. */
export function Browse() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const sort = params.get('sort') === 'oldest' ? 'oldest' : 'newest';
  const [draft, setDraft] = useState(q);
  const results = usePages(['series', q, sort], (cursor) =>
    unwrap(
      api.GET('/catalogue/series', {
        params: { query: { ...(q ? { q } : {}), sort, limit: 24, ...cursorParam(cursor) } },
      }),
    ),
  );
  const search = (event: FormEvent) => {
    event.preventDefault();
    setParams(draft.trim() ? { q: draft.trim(), sort } : { sort });
  };
  const items = results.items;
  return (
    <>
      <h1>{t('browse.title')}</h1>
      <form role="search" className="search" onSubmit={search}>
        <label>
          <span className="visually-hidden">{t('browse.search')}</span>
          <input
            type="search"
            name="q"
            value={draft}
            placeholder={t('browse.placeholder')}
            onChange={(event) => setDraft(event.target.value)}
          />
        </label>
        <label>
          {t('browse.sort')}{' '}
          <select
            value={sort}
            onChange={(event) => setParams({ ...(q ? { q } : {}), sort: event.target.value })}
          >
            <option value="newest">{t('browse.newest')}</option>
            <option value="oldest">{t('browse.oldest')}</option>
          </select>
        </label>
        <button type="submit">{t('browse.search')}</button>
      </form>
      {results.isPending ? (
        <Loading />
      ) : results.isError ? (
        <ProblemNote error={results.error} onRetry={() => void results.refetch()} />
      ) : items.length === 0 ? (
        <Empty>{q ? t('browse.empty', { q }) : t('browse.emptyAll')}</Empty>
      ) : (
        <>
          <ul className="grid" aria-live="polite">
            {items.map((series) => (
              <SeriesCard key={series.id} series={series} />
            ))}
          </ul>
          {results.hasNextPage && (
            <button
              type="button"
              onClick={() => void results.fetchNextPage()}
              disabled={results.isFetchingNextPage}
            >
              {results.isFetchingNextPage ? t('common.loading') : t('common.more')}
            </button>
          )}
        </>
      )}
    </>
  );
}
