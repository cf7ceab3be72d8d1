import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { usePages as useKeysetPages } from '../api/pages';
import { api, unwrap } from '../api/client';
import { useAccount } from '../auth';
import { EditionLabel } from '../components/Cards';
import { ProblemNote } from '../components/Problem';
import { NAMESPACE } from './words';

/** The console's words (its own i18next namespace). */
export const useWords = () => useTranslation(NAMESPACE);

/** Operators act; auditors read everything and change nothing (the API refuses them anyway). */
export function useCanAct(): boolean {
  return useAccount().data?.roles.includes('operator') ?? false;
}

/** Keyset pages of a list route (`items` + `nextCursor`), flattened, with a "show more". */
/** A keyset-paged list of the console (its queries share the `console` key prefix). */
export function usePages<T>(
  key: unknown[],
  page: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>,
  enabled = true,
) {
  const query = useKeysetPages(['console', ...key], page, enabled);
  return { query, items: query.items };
}

export function MoreButton({ query }: { query: ReturnType<typeof usePages>['query'] }) {
  const { t } = useTranslation();
  if (!query.hasNextPage) return null;
  return (
    <button type="button" className="secondary" onClick={() => void query.fetchNextPage()}>
      {query.isFetchingNextPage ? t('common.loading') : t('common.more')}
    </button>
  );
}

export interface ReasonAction {
  label: string;
  run: (reason: string) => Promise<unknown>;
  /** What the person reads once done. */
  done: string;
  /** Asked once, plainly, before an action that cannot be undone. */
  confirm?: string;
}

/**
 * One reason (mandatory: it goes to the operator action trail auditors read) and the actions it
 * may justify. Hidden for auditors.
 */
export function ReasonActions({
  name,
  actions,
  onDone,
}: {
  name: string;
  actions: ReasonAction[];
  onDone: (message: string) => void;
}) {
  const { t } = useWords();
  const canAct = useCanAct();
  const [reason, setReason] = useState('');
  const [confirming, setConfirming] = useState<ReasonAction | null>(null);
  const mutation = useMutation({
    mutationFn: (action: ReasonAction) => action.run(reason.trim()),
    onSuccess: (_, action) => {
      setReason('');
      setConfirming(null);
      onDone(action.done);
    },
  });
  if (!canAct) return null;
  const start = (action: ReasonAction) => {
    if (action.confirm && confirming !== action) setConfirming(action);
    else mutation.mutate(action);
  };
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const submitter = (event.nativeEvent as SubmitEvent).submitter as HTMLButtonElement | null;
    const action = confirming ?? actions[Number(submitter?.value ?? 0)];
    if (action) start(action);
  };
  return (
    <form className="reason-actions" aria-label={name} onSubmit={onSubmit}>
      <label>
        {t('reason.label')}
        <textarea
          required
          rows={2}
          maxLength={1000}
          value={reason}
          onChange={(event) => setReason(event.target.value)}
        />
      </label>
      {confirming ? (
        <div className="notice" role="alert">
          <p>{confirming.confirm}</p>
          <div className="buttons">
            <button type="submit" disabled={mutation.isPending}>
              {mutation.isPending ? t('working') : t('reason.confirm', { action: confirming.label })}
            </button>
            <button type="button" className="secondary" onClick={() => setConfirming(null)}>
              {t('reason.cancel')}
            </button>
          </div>
        </div>
      ) : (
        <div className="buttons">
          {actions.map((action, index) => (
            <button
              key={action.label}
              type="submit"
              value={index}
              // What asks before it acts stands apart from the everyday action beside it.
              className={action.confirm && actions.length > 1 ? 'secondary' : undefined}
              disabled={mutation.isPending}
            >
              {action.label}
            </button>
          ))}
          {mutation.isPending && (
            <span role="status" className="muted">
              {t('working')}
            </span>
          )}
        </div>
      )}
      {mutation.isError && <ProblemNote error={mutation.error} />}
    </form>
  );
}

/** What the last action did, said once where the person looks. */
export function DoneNote({ message }: { message: string | null }) {
  return message ? (
    <p role="status" className="success">
      {message}
    </p>
  ) : null;
}

/** A token by its name and edition (ids stay in the link), linking to its console page. */
export function TokenName({ tokenId }: { tokenId: string }) {
  const token = useQuery({
    queryKey: ['token', tokenId],
    queryFn: () => unwrap(api.GET('/catalogue/tokens/{id}', { params: { path: { id: tokenId } } })),
    staleTime: 60_000,
  });
  const { t } = useWords();
  return (
    <Link to={`/console/tokens/${encodeURIComponent(tokenId)}`}>
      {token.data ? (
        <>
          {token.data.name} (
          <EditionLabel number={token.data.edition.number} total={token.data.edition.total} />)
        </>
      ) : (
        t('tokens.aPiece')
      )}
    </Link>
  );
}

/** An account by its handle (the id stays in the link), linking to its console page. */
export function AccountName({ accountId }: { accountId: string }) {
  const { t } = useWords();
  const account = useQuery({
    queryKey: ['console', 'account', accountId],
    queryFn: () => unwrap(api.GET('/operator/accounts/{id}', { params: { path: { id: accountId } } })),
    staleTime: 60_000,
  });
  return (
    <Link to={`/console/accounts/${accountId}`}>
      {account.data ? `@${account.data.handle}` : t('trail.anAccount')}
    </Link>
  );
}

export function StatusBadge({ tone, children }: { tone: 'ok' | 'bad' | 'plain'; children: ReactNode }) {
  return <span className={`badge ${tone}`}>{children}</span>;
}

/** A key/value list of facts. */
export function Facts({ rows }: { rows: [string, ReactNode][] }) {
  return (
    <dl className="facts">
      {rows.map(([term, value]) => (
        <div key={term}>
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
