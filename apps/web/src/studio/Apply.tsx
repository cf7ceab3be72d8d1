import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { Link } from 'react-router';
import { api, unwrap } from '../api/client';
import { useAccount } from '../auth';
import { Loading, ProblemNote } from '../components/Problem';
import { useStudioWords } from './register';

/** A collector applies to become a creator and follows the operator's answer here. */
export function Apply() {
  const { t } = useStudioWords();
  const account = useAccount();
  const queries = useQueryClient();
  const apply = useMutation({
    mutationFn: () => unwrap(api.POST('/me/creator-application')),
    onSuccess: () => queries.invalidateQueries({ queryKey: ['me'] }),
  });
  const status = account.data?.creatorStatus;
  // While an operator decides, look again now and then so the answer shows without a reload.
  const { refetch } = account;
  useEffect(() => {
    if (status !== 'pending') return;
    const timer = setInterval(() => void refetch(), 15_000);
    return () => clearInterval(timer);
  }, [status, refetch]);
  if (account.isPending || !account.data) return <Loading />;
  const me = account.data;
  const approved = me.roles.includes('creator');
  return (
    <section className="studio-apply">
      <h1>{t('apply.title')}</h1>
      {approved ? (
        <p className="success" role="status">
          {t('apply.approved')} <Link to="/studio">{t('apply.open')}</Link>
        </p>
      ) : me.creatorStatus === 'pending' ? (
        <>
          <p className="notice" role="status" data-testid="application-status">
            {t('apply.pending')}
          </p>
          <button
            type="button"
            className="secondary"
            onClick={() => void account.refetch()}
            disabled={account.isFetching}
          >
            {t('apply.checkAgain')}
          </button>
        </>
      ) : (
        <>
          {me.creatorStatus === 'rejected' && (
            <div className="problem" role="status" data-testid="application-status">
              <p>
                {me.creatorRejectionReason
                  ? t('apply.rejected', { reason: me.creatorRejectionReason })
                  : t('apply.rejectedNoReason')}
              </p>
              <p>{t('apply.applyAgain')}</p>
            </div>
          )}
          <p>{t('apply.intro')}</p>
          {apply.isError && <ProblemNote error={apply.error} />}
          <button type="button" onClick={() => apply.mutate()} disabled={apply.isPending}>
            {me.creatorStatus === 'rejected' ? t('apply.again') : t('apply.apply')}
          </button>
        </>
      )}
    </section>
  );
}
