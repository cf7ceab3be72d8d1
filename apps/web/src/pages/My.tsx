import type { ReactNode } from 'react';
import { useMutation } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, Navigate, useLocation } from 'react-router';
import { api, unwrap } from '../api/client';
import { cursorParam, usePages } from '../api/pages';
import { useAccount } from '../auth';
import { EditionLabel } from '../components/Cards';
import { Empty, Loading, ProblemNote } from '../components/Problem';
import { fetchAndOpen } from '../download';
import { useFormat } from '../format';

/** Pages of the signed-in account; others are sent to sign in and brought back. */
function SignedIn({ children }: { children: ReactNode }) {
  const account = useAccount();
  const location = useLocation();
  if (account.isPending) return <Loading />;
  if (!account.data) return <Navigate to={`/login?next=${encodeURIComponent(location.pathname)}`} replace />;
  return <>{children}</>;
}

function Holdings() {
  const { t } = useTranslation();
  const format = useFormat();
  const holdings = usePages(['holdings'], (cursor) =>
    unwrap(api.GET('/me/holdings', { params: { query: { limit: 48, ...cursorParam(cursor) } } })),
  );
  const archive = useMutation({ mutationFn: () => fetchAndOpen('/me/archive', 'heirloom-archive.zip') });
  if (holdings.isPending) return <Loading />;
  if (holdings.isError) return <ProblemNote error={holdings.error} onRetry={() => void holdings.refetch()} />;
  const items = holdings.items;
  return (
    <>
      <h1>{t('my.collection')}</h1>
      {items.length === 0 ? (
        <Empty>
          {t('my.empty')} <Link to="/browse">{t('nav.browse')}</Link>
        </Empty>
      ) : (
        <>
          <p>
            <button type="button" onClick={() => archive.mutate()} disabled={archive.isPending}>
              {t('my.archive')}
            </button>{' '}
            <span className="muted">{t('my.archiveHelp')}</span>
          </p>
          {archive.isError && <ProblemNote error={archive.error} />}
          <ul className="grid">
            {items.map((holding) => (
              <li key={holding.tokenId} className="card">
                <Link to={`/item/${encodeURIComponent(holding.tokenId)}`}>
                  <img src={`/media/${holding.imageCid}`} alt="" loading="lazy" width={320} height={320} />
                  <h3>{holding.name}</h3>
                </Link>
                <p className="muted">
                  {holding.collectionName} ·{' '}
                  <EditionLabel number={holding.editionNumber} total={holding.editionTotal} />
                </p>
                {holding.status === 'frozen' && <p className="notice">{t('common.frozen')}</p>}
                {holding.listing && (
                  <p>
                    {t('my.listed', {
                      price: format.money(holding.listing.priceMinor, holding.listing.currency),
                    })}
                  </p>
                )}
                <p className="muted">{t('my.acquired', { when: format.when(holding.acquiredAt) })}</p>
              </li>
            ))}
          </ul>
          {holdings.hasNextPage && (
            <button type="button" onClick={() => void holdings.fetchNextPage()}>
              {t('common.more')}
            </button>
          )}
        </>
      )}
    </>
  );
}

function Orders() {
  const { t } = useTranslation();
  const format = useFormat();
  const orders = usePages(['orders'], (cursor) =>
    unwrap(api.GET('/me/orders', { params: { query: { limit: 50, ...cursorParam(cursor) } } })),
  );
  const receipt = useMutation({
    mutationFn: (orderId: string) => fetchAndOpen(`/orders/${orderId}/receipt.html`, null),
  });
  if (orders.isPending) return <Loading />;
  if (orders.isError) return <ProblemNote error={orders.error} onRetry={() => void orders.refetch()} />;
  const items = orders.items;
  return (
    <>
      <h1>{t('my.orders')}</h1>
      {receipt.isError && <ProblemNote error={receipt.error} />}
      {items.length === 0 ? (
        <Empty>{t('my.noOrders')}</Empty>
      ) : (
        <ul className="orders">
          {items.map((order) => (
            <li key={order.orderId}>
              <Link to={`/item/${encodeURIComponent(order.token.tokenId)}`}>{order.token.name}</Link>{' '}
              <EditionLabel number={order.token.editionNumber} total={order.token.editionTotal} /> ·{' '}
              {format.money(order.amountMinor, order.currency)} ·{' '}
              <span className={`status ${order.status}`}>{t(`my.status.${order.status}`)}</span> ·{' '}
              <time dateTime={order.createdAt}>{format.date(order.createdAt)}</time>
              {order.receipt && (
                <>
                  {' '}
                  <button type="button" className="link" onClick={() => receipt.mutate(order.orderId)}>
                    {t('my.receipt')}
                  </button>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      {orders.hasNextPage && (
        <button type="button" onClick={() => void orders.fetchNextPage()}>
          {t('common.more')}
        </button>
      )}
    </>
  );
}

export const MyCollection = () => (
  <SignedIn>
    <Holdings />
  </SignedIn>
);
export const MyOrders = () => (
  <SignedIn>
    <Orders />
  </SignedIn>
);
