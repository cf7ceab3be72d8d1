import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, unwrap, type Schemas } from '../api/client';
import { Loading, ProblemNote } from '../components/Problem';
import { useFormat } from '../format';
import { DoneNote, Facts, useCanAct, useWords } from './common';

function PolicyForm({ policy, onDone }: { policy: Schemas['PolicyView']; onDone: () => void }) {
  const { t } = useWords();
  const [feePercent, setFeePercent] = useState(String(policy.platformFeeBps / 100));
  const [holdDays, setHoldDays] = useState(String(policy.defaultHoldDays));
  const [realName, setRealName] = useState(policy.realNameRequired);
  const [reason, setReason] = useState('');
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api.PUT('/operator/policies', {
          body: {
            platformFeeBps: Math.round(Number(feePercent) * 100),
            defaultHoldDays: Number(holdDays),
            realNameRequired: realName,
            reason: reason.trim(),
          },
        }),
      ),
    onSuccess: () => {
      setReason('');
      onDone();
    },
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <form className="reason-actions" aria-label={t('policies.change')} onSubmit={onSubmit}>
      <h2>{t('policies.change')}</h2>
      <label>
        {t('policies.fee')}
        <input
          type="number"
          min={0}
          max={50}
          step={0.01}
          required
          value={feePercent}
          onChange={(e) => setFeePercent(e.target.value)}
        />
      </label>
      <label>
        {t('policies.hold')}
        <input
          type="number"
          min={0}
          max={3650}
          step={1}
          required
          value={holdDays}
          onChange={(e) => setHoldDays(e.target.value)}
        />
      </label>
      <label className="check">
        <input type="checkbox" checked={realName} onChange={(e) => setRealName(e.target.checked)} />
        {t('policies.realName')}
      </label>
      <label>
        {t('reason.label')}
        <textarea
          required
          rows={2}
          maxLength={1000}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
        />
      </label>
      <div className="buttons">
        <button type="submit" disabled={save.isPending}>
          {save.isPending ? t('working') : t('policies.save')}
        </button>
      </div>
      {save.isError && <ProblemNote error={save.error} />}
    </form>
  );
}

/** The platform's policies; operators change them with a reason. */
export function Policies() {
  const { t } = useWords();
  const format = useFormat();
  const canAct = useCanAct();
  const queries = useQueryClient();
  const [done, setDone] = useState<string | null>(null);
  const policy = useQuery({ queryKey: ['console', 'policies'], queryFn: () => unwrap(api.GET('/policies')) });
  if (policy.isPending) return <Loading />;
  if (policy.isError) return <ProblemNote error={policy.error} onRetry={() => void policy.refetch()} />;
  const p = policy.data;
  return (
    <>
      <h1>{t('policies.title')}</h1>
      <DoneNote message={done} />
      <Facts
        rows={[
          [t('policies.fee'), `${p.platformFeeBps / 100}%`],
          [t('policies.hold'), t('policies.days', { count: p.defaultHoldDays })],
          [t('policies.realName'), p.realNameRequired ? t('yes') : t('no')],
          [t('policies.setAt'), p.setAt ? format.date(p.setAt) : t('policies.startUp')],
        ]}
      />
      {canAct && (
        <PolicyForm
          key={p.version}
          policy={p}
          onDone={() => {
            setDone(t('policies.saved'));
            void queries.invalidateQueries({ queryKey: ['console', 'policies'] });
          }}
        />
      )}
    </>
  );
}
