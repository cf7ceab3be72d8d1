import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap, type Schemas } from '../api/client';
import { Empty, Loading, ProblemNote } from '../components/Problem';
import { useFormat } from '../format';
import { AccountName, DoneNote, MoreButton, ReasonActions, StatusBadge, usePages, useWords } from './common';

type PayoutStatus = Schemas['PayoutView']['status'];

/** Every payout, by status; operators run a payout of every available balance. */
export function Payouts() {
  const { t } = useWords();
  const format = useFormat();
  const queries = useQueryClient();
  const [status, setStatus] = useState<PayoutStatus | ''>('');
  const [done, setDone] = useState<string | null>(null);
  const { query, items } = usePages(['payouts', status], (cursor) =>
    unwrap(
      api.GET('/operator/payouts', {
        params: { query: { limit: 50, ...(status && { status }), ...(cursor && { cursor }) } },
      }),
    ),
  );
  // One run per day by default: running it again resumes the run and pays nobody twice.
  const runKey = `run-${new Date().toISOString().slice(0, 10)}`;
  return (
    <>
      <h1>{t('payouts.title')}</h1>
      <DoneNote message={done} />
      <ReasonActions
        name={t('payouts.run')}
        onDone={(message) => {
          setDone(message);
          void queries.invalidateQueries({ queryKey: ['console', 'payouts'] });
        }}
        actions={[
          {
            label: t('payouts.run'),
            confirm: t('payouts.confirm'),
            done: t('payouts.ran'),
            run: (reason) => unwrap(api.POST('/operator/payouts/run', { body: { runKey, reason } })),
          },
        ]}
      />
      <div className="search">
        <label>
          {t('payouts.show')}
          <select value={status} onChange={(event) => setStatus(event.target.value as PayoutStatus | '')}>
            <option value="">{t('payouts.all')}</option>
            {(['pending', 'paid', 'failed'] as const).map((value) => (
              <option key={value} value={value}>
                {t(`payouts.status.${value}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
      {query.isPending ? (
        <Loading />
      ) : query.isError ? (
        <ProblemNote error={query.error} onRetry={() => void query.refetch()} />
      ) : items.length === 0 ? (
        <Empty>{t('payouts.empty')}</Empty>
      ) : (
        <ul className="rows">
          {items.map((payout) => (
            <li key={payout.id}>
              <strong>{format.money(payout.amountMinor, payout.currency)}</strong> ·{' '}
              <AccountName accountId={payout.accountId} /> ·{' '}
              <StatusBadge
                tone={payout.status === 'failed' ? 'bad' : payout.status === 'paid' ? 'ok' : 'plain'}
              >
                {t(`payouts.status.${payout.status}`)}
              </StatusBadge>{' '}
              · {t('payouts.requested', { when: format.when(payout.requestedAt) })}
              {payout.settledAt && ` · ${t('payouts.settled', { when: format.when(payout.settledAt) })}`}
              {payout.failureCode && ` · ${payout.failureCode}`}
              {payout.lastError && (
                <>
                  <br />
                  <span className="muted">
                    {t('payouts.retrying', { count: payout.attempts, error: payout.lastError })}
                  </span>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      <MoreButton query={query} />
    </>
  );
}
