import { useState } from 'react';
import { api, unwrap, type Schemas } from '../api/client';
import { Empty, Loading, ProblemNote } from '../components/Problem';
import { useFormat } from '../format';
import { AccountName, MoreButton, TokenName, usePages, useWords } from './common';

type Action = Schemas['OperatorActionView'];
type ActionKind = Action['action'];

const ACTION_KINDS: ActionKind[] = [
  'token.freeze',
  'token.unfreeze',
  'token.burn',
  'creator.approve',
  'creator.reject',
  'account.freeze',
  'account.unfreeze',
  'order.refund',
  'appeal.uphold',
  'appeal.lift',
  'policy.set',
  'payout.run',
];

function Subject({ action }: { action: Action }) {
  const { t } = useWords();
  switch (action.subjectKind) {
    case 'token':
      return <TokenName tokenId={action.subjectId} />;
    case 'account':
      return <AccountName accountId={action.subjectId} />;
    case 'order':
      return <>{t('trail.anOrder')}</>;
    default:
      return <>{t('trail.platform')}</>;
  }
}

/** Operator actions, newest first: who did what to what, and why. */
export function ActionList({ actions }: { actions: Action[] }) {
  const { t } = useWords();
  const format = useFormat();
  if (actions.length === 0) return <Empty>{t('trail.empty')}</Empty>;
  return (
    <ol className="rows trail">
      {actions.map((action) => (
        <li key={action.ref}>
          <time dateTime={action.at}>{format.date(action.at)}</time> · @{action.actorHandle}{' '}
          <strong>{t(`trail.actions.${action.action.replace('.', '_')}`)}</strong> <Subject action={action} />
          <br />
          <span className="muted">{t('trail.because', { reason: action.reason })}</span>
        </li>
      ))}
    </ol>
  );
}

/** The whole operator action trail, in keyset pages, filtered by kind of action. */
export function Trail() {
  const { t } = useWords();
  const [kind, setKind] = useState<ActionKind | ''>('');
  const { query, items } = usePages(['actions', kind], (cursor) =>
    unwrap(
      api.GET('/operator/actions', {
        params: { query: { limit: 50, ...(kind && { action: kind }), ...(cursor && { cursor }) } },
      }),
    ),
  );
  return (
    <>
      <h1>{t('trail.title')}</h1>
      <p className="muted">{t('trail.help')}</p>
      <div className="search">
        <label>
          {t('trail.filter')}
          <select value={kind} onChange={(event) => setKind(event.target.value as ActionKind | '')}>
            <option value="">{t('trail.all')}</option>
            {ACTION_KINDS.map((value) => (
              <option key={value} value={value}>
                {t(`trail.actions.${value.replace('.', '_')}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
      {query.isPending ? (
        <Loading />
      ) : query.isError ? (
        <ProblemNote error={query.error} onRetry={() => void query.refetch()} />
      ) : (
        <ActionList actions={items} />
      )}
      <MoreButton query={query} />
    </>
  );
}
