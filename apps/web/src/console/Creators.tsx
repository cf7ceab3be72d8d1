import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api, unwrap } from '../api/client';
import { Empty, Loading, ProblemNote } from '../components/Problem';
import { useFormat } from '../format';
import { DoneNote, MoreButton, ReasonActions, usePages, useWords } from './common';

/** Pending creator applications, oldest first: approve or reject, each with a reason. */
export function CreatorQueue() {
  const { t } = useWords();
  const format = useFormat();
  const queries = useQueryClient();
  const [done, setDone] = useState<string | null>(null);
  const { query, items } = usePages(['creator-applications'], (cursor) =>
    unwrap(
      api.GET('/operator/creator-applications', {
        params: { query: { limit: 50, ...(cursor && { cursor }) } },
      }),
    ),
  );
  const decide = (verdict: 'approve' | 'reject', accountId: string, reason: string) => {
    const options = { params: { path: { accountId } }, body: { reason } };
    return unwrap(
      verdict === 'approve'
        ? api.POST('/operator/creator-applications/{accountId}/approve', options)
        : api.POST('/operator/creator-applications/{accountId}/reject', options),
    );
  };
  return (
    <>
      <h1>{t('queue.title')}</h1>
      <p className="muted">{t('queue.help')}</p>
      <DoneNote message={done} />
      {query.isPending ? (
        <Loading />
      ) : query.isError ? (
        <ProblemNote error={query.error} onRetry={() => void query.refetch()} />
      ) : items.length === 0 ? (
        <Empty>{t('queue.empty')}</Empty>
      ) : (
        <ul className="rows">
          {items.map((application) => (
            <li key={application.accountId}>
              <p>
                <Link to={`/console/accounts/${application.accountId}`}>@{application.handle}</Link> ·{' '}
                {t('queue.applied', { when: format.when(application.appliedAt) })} ·{' '}
                {application.realNameVerified ? t('accounts.realNameYes') : t('accounts.realNameNo')}
              </p>
              <ReasonActions
                name={t('queue.decide', { handle: application.handle })}
                onDone={(message) => {
                  setDone(message);
                  void queries.invalidateQueries({ queryKey: ['console', 'creator-applications'] });
                }}
                actions={[
                  {
                    label: t('queue.approve'),
                    done: t('queue.approved', { handle: application.handle }),
                    run: (reason) => decide('approve', application.accountId, reason),
                  },
                  {
                    label: t('queue.reject'),
                    done: t('queue.rejected', { handle: application.handle }),
                    run: (reason) => decide('reject', application.accountId, reason),
                  },
                ]}
              />
            </li>
          ))}
        </ul>
      )}
      <MoreButton query={query} />
    </>
  );
}
