import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { api, idempotencyKey, unwrap, type Schemas } from '../api/client';
import { cursorParam, usePages } from '../api/pages';
import { EditionLabel } from '../components/Cards';
import { Empty, Loading, ProblemNote } from '../components/Problem';
import { useFormat } from '../format';
import { toMajorText, toMinor, type Currency } from './money';
import { useStudioWords } from './register';

/** Balances, payout requests (and the processor's set-up when it needs one), sales and payouts. */
export function Earnings() {
  const { t, tc } = useStudioWords();
  const earnings = useInfiniteQuery({
    queryKey: ['studio', 'earnings'],
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET('/me/earnings', {
          params: { query: { limit: 20, ...(pageParam ? { cursor: pageParam } : {}) } },
        }),
      ),
    initialPageParam: '',
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });
  if (earnings.isPending) return <Loading />;
  if (earnings.isError) return <ProblemNote error={earnings.error} onRetry={() => void earnings.refetch()} />;
  const balances = earnings.data.pages[0].balances;
  const sales = earnings.data.pages.flatMap((page) => page.sales);
  return (
    <>
      <h1>{t('earnings.title')}</h1>
      <section aria-labelledby="balances">
        <h2 id="balances">{t('earnings.balances')}</h2>
        {balances.length === 0 ? (
          <Empty>{t('earnings.none')}</Empty>
        ) : (
          <>
            <PayoutSetup />
            <ul className="balances">
              {balances.map((balance) => (
                <Balance key={balance.currency} balance={balance} />
              ))}
            </ul>
          </>
        )}
      </section>
      <section aria-labelledby="sales">
        <h2 id="sales">{t('earnings.sales')}</h2>
        {sales.length === 0 ? (
          <Empty>{t('earnings.noSales')}</Empty>
        ) : (
          <div className="table-scroll">
            <table className="sales">
              <thead>
                <tr>
                  <th scope="col">{t('earnings.when')}</th>
                  <th scope="col">{t('earnings.piece')}</th>
                  <th scope="col">{t('earnings.role')}</th>
                  <th scope="col">{t('earnings.price')}</th>
                  <th scope="col">{t('earnings.platformFee')}</th>
                  <th scope="col">{t('earnings.processorFee')}</th>
                  <th scope="col">{t('earnings.royalty')}</th>
                  <th scope="col">{t('earnings.proceeds')}</th>
                </tr>
              </thead>
              <tbody>
                {sales.map((sale) => (
                  <SaleRow key={`${sale.orderId}-${sale.role}`} sale={sale} />
                ))}
              </tbody>
            </table>
          </div>
        )}
        {earnings.hasNextPage && (
          <button type="button" onClick={() => void earnings.fetchNextPage()}>
            {tc('common.more')}
          </button>
        )}
      </section>
      <Payouts />
    </>
  );
}

/** A sale's piece by name and edition (the sale names only its token), linking to its page. */
function PieceName({ tokenId }: { tokenId: string }) {
  const token = useQuery({
    queryKey: ['token', tokenId],
    queryFn: () => unwrap(api.GET('/catalogue/tokens/{id}', { params: { path: { id: tokenId } } })),
    staleTime: 300_000,
  });
  return (
    <Link to={`/item/${encodeURIComponent(tokenId)}`}>
      {token.data ? (
        <>
          {token.data.name}{' '}
          <EditionLabel number={token.data.edition.number} total={token.data.edition.total} />
        </>
      ) : (
        '…'
      )}
    </Link>
  );
}

function SaleRow({ sale }: { sale: Schemas['EarningsSaleView'] }) {
  const { t } = useStudioWords();
  const format = useFormat();
  const money = (minor: number) => format.money(minor, sale.currency);
  const pending = new Date(sale.availableFrom).getTime() > Date.now();
  return (
    <tr>
      <td>
        <time dateTime={sale.bookedAt}>{format.date(sale.bookedAt)}</time>
      </td>
      <td>
        <PieceName tokenId={sale.tokenId} />
      </td>
      <td>{sale.role === 'seller' ? t('earnings.seller') : t('earnings.creator')}</td>
      <td>{money(sale.priceMinor)}</td>
      <td>{money(sale.platformFeeMinor)}</td>
      <td>{money(sale.processorFeeMinor)}</td>
      <td>{money(sale.royaltyMinor)}</td>
      <td>
        <strong>{money(sale.earnedMinor)}</strong>
        {sale.refundedMinor > 0 && (
          <span className="muted"> · {t('earnings.refunded', { amount: money(sale.refundedMinor) })}</span>
        )}
        {pending && (
          <span className="muted">
            {' '}
            · {t('earnings.availableFrom', { when: format.when(sale.availableFrom) })}
          </span>
        )}
      </td>
    </tr>
  );
}

/** One currency's balances and, when some is available, a payout request confirmed once. */
function Balance({ balance }: { balance: Schemas['EarningsBalanceView'] }) {
  const { t } = useStudioWords();
  const format = useFormat();
  const queries = useQueryClient();
  const money = (minor: number) => format.money(minor, balance.currency);
  const [amount, setAmount] = useState(() =>
    balance.availableMinor > 0 ? toMajorText(balance.availableMinor, balance.currency) : '',
  );
  const [confirming, setConfirming] = useState<number | null>(null);
  const [invalid, setInvalid] = useState(false);
  // The same request retried (say after a dropped connection) keeps its key, so it pays once.
  const attempt = useRef<{ key: string; amountMinor: number } | null>(null);
  const request = useMutation({
    mutationFn: (amountMinor: number) => {
      if (attempt.current?.amountMinor !== amountMinor)
        attempt.current = { key: idempotencyKey(), amountMinor };
      return unwrap(
        api.POST('/me/payouts', {
          body: { amountMinor, currency: balance.currency as Currency, idempotencyKey: attempt.current.key },
        }),
      );
    },
    onSuccess: async () => {
      attempt.current = null;
      setConfirming(null);
      setAmount('');
      await queries.invalidateQueries({ queryKey: ['studio'] });
    },
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const minor = toMinor(amount, balance.currency);
    setInvalid(minor === null);
    if (minor !== null) setConfirming(minor);
  };
  const id = `payout-${balance.currency}`;
  return (
    <li className="card" data-testid={`balance-${balance.currency}`}>
      <dl className="figures">
        <div>
          <dt>{t('earnings.pending')}</dt>
          <dd data-testid="pending">{money(balance.pendingMinor)}</dd>
        </div>
        <div>
          <dt>{t('earnings.available')}</dt>
          <dd data-testid="available">{money(balance.availableMinor)}</dd>
        </div>
        <div>
          <dt>{t('earnings.inTransit')}</dt>
          <dd>{money(balance.inTransitMinor)}</dd>
        </div>
        <div>
          <dt>{t('earnings.paidOut')}</dt>
          <dd>{money(balance.paidOutMinor)}</dd>
        </div>
      </dl>
      {balance.pendingMinor !== 0 && <p className="muted">{t('earnings.pendingHelp')}</p>}
      {request.isSuccess && (
        <p className="success" role="status">
          {t('earnings.requested', { amount: money(request.data.amountMinor) })}
        </p>
      )}
      {balance.availableMinor > 0 && (
        <form onSubmit={onSubmit}>
          <label htmlFor={id}>{t('earnings.amount', { currency: balance.currency })}</label>
          <div className="row">
            <input
              id={id}
              inputMode="decimal"
              required
              value={amount}
              aria-invalid={invalid}
              onChange={(e) => {
                setAmount(e.target.value);
                setConfirming(null);
              }}
            />
            {confirming === null && (
              <button type="submit" disabled={request.isPending}>
                {t('earnings.request', {
                  amount: toMinor(amount, balance.currency) ? money(toMinor(amount, balance.currency)!) : '',
                })}
              </button>
            )}
          </div>
          {invalid && (
            <p role="alert" className="problem">
              {t('pricing.badPrice')}
            </p>
          )}
          {confirming !== null && (
            <div className="confirm" role="group" aria-label={t('earnings.payouts')}>
              <p>{t('earnings.confirm', { amount: money(confirming) })}</p>
              <button type="button" disabled={request.isPending} onClick={() => request.mutate(confirming)}>
                {t('earnings.yes')}
              </button>{' '}
              <button type="button" className="secondary" onClick={() => setConfirming(null)}>
                {t('earnings.no')}
              </button>
            </div>
          )}
          {request.isError && <ProblemNote error={request.error} />}
        </form>
      )}
    </li>
  );
}

/** With a processor that must know where to pay (Stripe), the link to its hosted set-up. */
function PayoutSetup() {
  const { t } = useStudioWords();
  const onboarding = useQuery({
    queryKey: ['studio', 'onboarding'],
    queryFn: () => unwrap(api.GET('/me/payouts/onboarding')),
  });
  const open = useMutation({
    mutationFn: () => unwrap(api.POST('/me/payouts/onboarding')),
    onSuccess: (view) => {
      if (view.onboardingUrl) window.location.assign(view.onboardingUrl);
    },
  });
  if (onboarding.isError)
    return <ProblemNote error={onboarding.error} onRetry={() => void onboarding.refetch()} />;
  if (!onboarding.data?.onboardingRequired || onboarding.data.payoutsEnabled) return null;
  return (
    <div className="notice">
      <p>{t('earnings.setup')}</p>
      {open.isError && <ProblemNote error={open.error} />}
      <button type="button" onClick={() => open.mutate()} disabled={open.isPending}>
        {open.isPending ? t('earnings.setupOpening') : t('earnings.setupButton')}
      </button>
    </div>
  );
}

function Payouts() {
  const { t, tc } = useStudioWords();
  const format = useFormat();
  const payouts = usePages(['studio', 'payouts'], (cursor) =>
    unwrap(api.GET('/me/payouts', { params: { query: { limit: 20, ...cursorParam(cursor) } } })),
  );
  return (
    <section aria-labelledby="payouts">
      <h2 id="payouts">{t('earnings.payouts')}</h2>
      {payouts.isPending ? (
        <Loading />
      ) : payouts.isError ? (
        <ProblemNote error={payouts.error} onRetry={() => void payouts.refetch()} />
      ) : payouts.items.length === 0 ? (
        <Empty>{t('earnings.noPayouts')}</Empty>
      ) : (
        <ul className="orders">
          {payouts.items.map((payout) => (
            <li key={payout.id}>
              {format.money(payout.amountMinor, payout.currency)} ·{' '}
              <span className={`status ${payout.status}`}>{t(`earnings.status.${payout.status}`)}</span> ·{' '}
              <time dateTime={payout.requestedAt}>{format.date(payout.requestedAt)}</time>
            </li>
          ))}
        </ul>
      )}
      {payouts.hasNextPage && (
        <button type="button" onClick={() => void payouts.fetchNextPage()}>
          {tc('common.more')}
        </button>
      )}
    </section>
  );
}
