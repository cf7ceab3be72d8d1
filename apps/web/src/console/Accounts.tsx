import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { api, unwrap, type Schemas } from '../api/client';
import { EditionLabel } from '../components/Cards';
import { Empty, Loading, ProblemNote } from '../components/Problem';
import { useFormat } from '../format';
import {
  DoneNote,
  Facts,
  MoreButton,
  ReasonActions,
  StatusBadge,
  useCanAct,
  usePages,
  useWords,
} from './common';
import { ActionList } from './Trail';

type Role = Schemas['AccountView']['roles'][number];

function Roles({ roles }: { roles: Role[] }) {
  const { t } = useWords();
  return <>{roles.map((role) => t(`roles.${role}`)).join(', ')}</>;
}

/** Find an account by the start of its handle or its exact email. */
export function AccountSearch() {
  const { t } = useWords();
  const canSearch = useCanAct();
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const [text, setText] = useState(q);
  const { query, items } = usePages(
    ['accounts', q],
    (cursor) =>
      unwrap(
        api.GET('/operator/accounts', { params: { query: { q, limit: 50, ...(cursor && { cursor }) } } }),
      ),
    canSearch && q.length >= 2,
  );
  // Emails are personal data: auditors reach an account from the trail or a piece instead.
  if (!canSearch)
    return (
      <>
        <h1>{t('accounts.title')}</h1>
        <p className="notice">{t('accounts.auditorsCannotSearch')}</p>
      </>
    );
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setParams(text.trim() ? { q: text.trim() } : {});
  };
  return (
    <>
      <h1>{t('accounts.title')}</h1>
      <form className="search" role="search" onSubmit={onSubmit}>
        <label>
          {t('accounts.search')}
          <input
            type="search"
            minLength={2}
            required
            value={text}
            onChange={(e) => setText(e.target.value)}
          />
        </label>
        <button type="submit">{t('search')}</button>
      </form>
      {q.length < 2 ? (
        <p className="muted">{t('accounts.searchHelp')}</p>
      ) : query.isPending ? (
        <Loading />
      ) : query.isError ? (
        <ProblemNote error={query.error} onRetry={() => void query.refetch()} />
      ) : items.length === 0 ? (
        <Empty>{t('accounts.none', { q })}</Empty>
      ) : (
        <ul className="rows">
          {items.map((account) => (
            <li key={account.id}>
              <Link to={`/console/accounts/${account.id}`}>@{account.handle}</Link> · {account.email} ·{' '}
              <Roles roles={account.roles} />
              {account.frozen && (
                <>
                  {' '}
                  <StatusBadge tone="bad">{t('status.frozen')}</StatusBadge>
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

/** One account: roles, real-name status, holdings, what operators did to it; freeze or unfreeze. */
export function AccountPage() {
  const { t } = useWords();
  const format = useFormat();
  const { id = '' } = useParams();
  const queries = useQueryClient();
  const [done, setDone] = useState<string | null>(null);
  const account = useQuery({
    queryKey: ['console', 'account', id],
    queryFn: () => unwrap(api.GET('/operator/accounts/{id}', { params: { path: { id } } })),
  });
  if (account.isPending) return <Loading />;
  if (account.isError) return <ProblemNote error={account.error} onRetry={() => void account.refetch()} />;
  const a = account.data;
  const path = { params: { path: { id } } };
  return (
    <>
      <h1>@{a.handle}</h1>
      <DoneNote message={done} />
      <Facts
        rows={[
          [t('accounts.email'), a.email ?? t('accounts.deleted')],
          [t('accounts.roles'), <Roles key="roles" roles={a.roles} />],
          [
            t('accounts.creatorStatus'),
            t(`accounts.creator.${a.creatorStatus}`) +
              (a.creatorRejectionReason ? ` — ${a.creatorRejectionReason}` : ''),
          ],
          [t('accounts.realName'), a.realNameVerified ? t('accounts.realNameYes') : t('accounts.realNameNo')],
          [
            t('accounts.state'),
            a.frozen ? (
              <StatusBadge key="state" tone="bad">
                {t('accounts.frozenSince', { when: a.frozenAt ? format.date(a.frozenAt) : '—' })}
                {a.frozenReason && ` — ${a.frozenReason}`}
              </StatusBadge>
            ) : (
              t('accounts.active')
            ),
          ],
          [t('accounts.joined'), format.date(a.createdAt)],
        ]}
      />
      <ReasonActions
        name={a.frozen ? t('accounts.unfreeze') : t('accounts.freeze')}
        onDone={(message) => {
          setDone(message);
          void queries.invalidateQueries({ queryKey: ['console'] });
        }}
        actions={[
          a.frozen
            ? {
                label: t('accounts.unfreeze'),
                done: t('accounts.unfrozenDone', { handle: a.handle }),
                run: (reason) =>
                  unwrap(api.POST('/operator/accounts/{id}/unfreeze', { ...path, body: { reason } })),
              }
            : {
                label: t('accounts.freeze'),
                done: t('accounts.frozenDone', { handle: a.handle }),
                run: (reason) =>
                  unwrap(api.POST('/operator/accounts/{id}/freeze', { ...path, body: { reason } })),
              },
        ]}
      />
      <section aria-labelledby="holdings">
        <h2 id="holdings">{t('accounts.holdings', { count: a.holdingsCount })}</h2>
        {a.holdings.length === 0 ? (
          <Empty>{t('accounts.noHoldings')}</Empty>
        ) : (
          <ul className="rows">
            {a.holdings.map((holding) => (
              <li key={holding.tokenId}>
                <Link to={`/console/tokens/${encodeURIComponent(holding.tokenId)}`}>{holding.name}</Link> ·{' '}
                {holding.collectionName} ·{' '}
                <EditionLabel number={holding.editionNumber} total={holding.editionTotal} />
                {holding.status === 'frozen' && (
                  <>
                    {' '}
                    <StatusBadge tone="bad">{t('status.frozen')}</StatusBadge>
                  </>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="account-actions">
        <h2 id="account-actions">{t('trail.onThis')}</h2>
        <ActionList actions={a.actions} />
      </section>
    </>
  );
}
