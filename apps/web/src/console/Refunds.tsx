import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, unwrap, type Schemas } from '../api/client';
import { Empty, Loading, ProblemNote } from '../components/Problem';
import { minorDigits, useFormat } from '../format';
import { DoneNote, ReasonActions, StatusBadge, TokenName, useCanAct, useWords } from './common';

/** "12.50" in `currency` as integer minor units, or null when it is not an amount. */
function toMinor(text: string, currency: string): number | null {
  const digits = minorDigits(currency);
  const match = /^\s*(\d+)(?:[.,](\d*))?\s*$/.exec(text);
  if (!match || (match[2] ?? '').length > digits) return null;
  return Number(match[1]) * 10 ** digits + Number((match[2] ?? '').padEnd(digits, '0') || 0);
}

/** Refund a paid sale, in full or in part: look the order up first, then say why. */
function RefundSale() {
  const { t } = useWords();
  const format = useFormat();
  const queries = useQueryClient();
  const [orderText, setOrderText] = useState('');
  const [part, setPart] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const lookup = useMutation({
    mutationFn: (id: string) => unwrap(api.GET('/orders/{id}', { params: { path: { id } } })),
    onMutate: () => setDone(null),
  });
  const onLookup = (event: FormEvent) => {
    event.preventDefault();
    // A pasted receipt link works as well as the bare order number.
    const id =
      /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/i.exec(orderText)?.[1] ??
      orderText.trim();
    lookup.mutate(id);
  };
  const [buyer, setBuyer] = useState('');
  const buyerOrders = useMutation({
    mutationFn: (handle: string) =>
      unwrap(api.GET('/operator/orders', { params: { query: { buyer: handle, limit: 20 } } })),
  });
  const onFind = (event: FormEvent) => {
    event.preventDefault();
    buyerOrders.mutate(buyer.trim().replace(/^@/, ''));
  };
  const order = lookup.data;
  const partMinor = order && part.trim() ? toMinor(part, order.currency) : null;
  const badPart =
    order && part.trim() !== '' && (partMinor === null || partMinor <= 0 || partMinor > order.amountMinor);
  return (
    <section aria-labelledby="refund-sale">
      <h2 id="refund-sale">{t('refunds.refundSale')}</h2>
      <p className="muted">{t('refunds.refundHelp')}</p>
      <DoneNote message={done} />
      <form className="search" onSubmit={onFind}>
        <label>
          {t('refunds.buyer')}
          <input required value={buyer} onChange={(e) => setBuyer(e.target.value)} />
        </label>
        <button type="submit" className="secondary" disabled={buyerOrders.isPending}>
          {t('refunds.findOrders')}
        </button>
      </form>
      {buyerOrders.isError && <ProblemNote error={buyerOrders.error} />}
      {buyerOrders.data &&
        (buyerOrders.data.items.length === 0 ? (
          <Empty>{t('refunds.noOrders', { handle: buyerOrders.variables })}</Empty>
        ) : (
          <ul className="orders">
            {buyerOrders.data.items.map((found) => (
              <li key={found.orderId}>
                {found.token.name} · {format.money(found.amountMinor, found.currency)} ·{' '}
                {t(`refunds.orderStatus.${found.status}`)} · {format.date(found.createdAt)}{' '}
                <button type="button" className="link" onClick={() => lookup.mutate(found.orderId)}>
                  {t('refunds.choose')}
                </button>
              </li>
            ))}
          </ul>
        ))}
      <form className="search" onSubmit={onLookup}>
        <label>
          {t('refunds.order')}
          <input required value={orderText} onChange={(e) => setOrderText(e.target.value)} />
        </label>
        <button type="submit" className="secondary" disabled={lookup.isPending}>
          {t('refunds.lookUp')}
        </button>
      </form>
      {lookup.isPending && <Loading />}
      {lookup.isError && <ProblemNote error={lookup.error} />}
      {order && (
        <div className="panel">
          <p>
            <TokenName tokenId={order.tokenId} /> · {format.money(order.amountMinor, order.currency)} ·{' '}
            {t(`refunds.orderStatus.${order.status}`)}
          </p>
          {order.status === 'paid' ? (
            <>
              <label>
                {t('refunds.part', { currency: order.currency })}
                <input
                  inputMode="decimal"
                  value={part}
                  onChange={(e) => setPart(e.target.value)}
                  aria-invalid={!!badPart}
                />
              </label>
              {badPart && (
                <p className="problem" role="alert">
                  {t('refunds.badPart', { max: format.money(order.amountMinor, order.currency) })}
                </p>
              )}
              {!badPart && (
                <ReasonActions
                  name={t('refunds.refundSale')}
                  onDone={(message) => {
                    setDone(message);
                    lookup.reset();
                    setPart('');
                    void queries.invalidateQueries({ queryKey: ['console'] });
                  }}
                  actions={[
                    {
                      label: t('refunds.refund', {
                        amount: format.money(partMinor ?? order.amountMinor, order.currency),
                      }),
                      done: t('refunds.refunded'),
                      confirm: partMinor ? t('refunds.confirmPart') : t('refunds.confirmFull'),
                      run: (reason) =>
                        unwrap(
                          api.POST('/operator/orders/{id}/refund', {
                            params: { path: { id: order.orderId } },
                            body: { reason, ...(partMinor ? { amountMinor: partMinor } : {}) },
                          }),
                        ),
                    },
                  ]}
                />
              )}
            </>
          ) : (
            <p className="notice">{t('refunds.notPaid')}</p>
          )}
        </div>
      )}
    </section>
  );
}

function Disputes() {
  const { t } = useWords();
  const format = useFormat();
  const disputes = useQuery({
    queryKey: ['console', 'disputes'],
    queryFn: () => unwrap(api.GET('/operator/disputes')),
  });
  return (
    <section aria-labelledby="disputes">
      <h2 id="disputes">{t('refunds.disputes')}</h2>
      {disputes.isPending ? (
        <Loading />
      ) : disputes.isError ? (
        <ProblemNote error={disputes.error} onRetry={() => void disputes.refetch()} />
      ) : disputes.data.length === 0 ? (
        <Empty>{t('refunds.noDisputes')}</Empty>
      ) : (
        <ul className="rows">
          {disputes.data.map((dispute) => (
            <li key={dispute.orderId}>
              <TokenName tokenId={dispute.tokenId} /> · {format.money(dispute.amountMinor, dispute.currency)}
              {dispute.openedAt && ` · ${t('refunds.opened', { when: format.when(dispute.openedAt) })}`}
            </li>
          ))}
        </ul>
      )}
      <p className="muted">{t('refunds.disputeHelp')}</p>
    </section>
  );
}

function StuckRefunds({ refunds }: { refunds: Schemas['StuckRefundView'][] }) {
  const { t } = useWords();
  const format = useFormat();
  if (refunds.length === 0) return <Empty>{t('refunds.noStuck')}</Empty>;
  return (
    <ul className="rows">
      {refunds.map((refund) => (
        <li key={refund.orderId}>
          {format.money(refund.amountMinor, refund.currency)} · {t(`refunds.why.${refund.reason}`)} ·{' '}
          <StatusBadge tone={refund.status === 'rejected' ? 'bad' : 'plain'}>
            {t(`refunds.stuckStatus.${refund.status}`)}
          </StatusBadge>{' '}
          · {t('refunds.attempts', { count: refund.attempts })}
          {refund.nextAttemptAt && ` · ${t('refunds.next', { when: format.when(refund.nextAttemptAt) })}`}
          {refund.lastError && (
            <>
              <br />
              <span className="muted">{t('refunds.lastError', { error: refund.lastError })}</span>
            </>
          )}
        </li>
      ))}
    </ul>
  );
}

function StuckCancels({ cancels }: { cancels: Schemas['StuckCancelView'][] }) {
  const { t } = useWords();
  const format = useFormat();
  if (cancels.length === 0) return <Empty>{t('refunds.noCancels')}</Empty>;
  return (
    <ul className="rows">
      {cancels.map((cancel) => (
        <li key={cancel.paymentId}>
          {t('refunds.attempts', { count: cancel.attempts })} ·{' '}
          {t('refunds.next', { when: format.when(cancel.nextAttemptAt) })} ·{' '}
          {t('refunds.since', { when: format.when(cancel.createdAt) })}
          {cancel.lastError && (
            <>
              <br />
              <span className="muted">{t('refunds.lastError', { error: cancel.lastError })}</span>
            </>
          )}
        </li>
      ))}
    </ul>
  );
}

/** Refunds and disputes: refund a sale, open disputes, refunds and payment cancels that are stuck. */
export function Refunds() {
  const { t } = useWords();
  const canAct = useCanAct();
  const stuck = useQuery({
    queryKey: ['console', 'refunds', 'stuck'],
    queryFn: async () => ({
      refunds: await unwrap(api.GET('/operator/refunds', { params: { query: { state: 'stuck' } } })),
      cancels: await unwrap(api.GET('/operator/payment-cancels')),
    }),
  });
  return (
    <>
      <h1>{t('refunds.title')}</h1>
      {canAct && <RefundSale />}
      <Disputes />
      <section aria-labelledby="stuck">
        <h2 id="stuck">{t('refunds.stuck')}</h2>
        <p className="muted">{t('refunds.stuckHelp')}</p>
        {stuck.isPending ? (
          <Loading />
        ) : stuck.isError ? (
          <ProblemNote error={stuck.error} onRetry={() => void stuck.refetch()} />
        ) : (
          <>
            <StuckRefunds refunds={stuck.data.refunds} />
            <h3>{t('refunds.cancels')}</h3>
            <StuckCancels cancels={stuck.data.cancels} />
          </>
        )}
      </section>
    </>
  );
}
