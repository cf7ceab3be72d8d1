import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
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
  TokenName,
  usePages,
  useWords,
  type ReasonAction,
} from './common';
import { ActionList } from './Trail';

type TokenStatus = Schemas['TokenSummaryView']['status'];

export function TokenStatusBadge({ status }: { status: TokenStatus }) {
  const { t } = useWords();
  return <StatusBadge tone={status === 'active' ? 'ok' : 'bad'}>{t(`status.${status}`)}</StatusBadge>;
}

/** The token a storefront link (…/item/<id>) points at, if the text is one. */
function tokenOfLink(text: string): string | null {
  const match = /\/item\/([^?#\s]+)/.exec(text);
  return match ? decodeURIComponent(match[1]) : null;
}

/** Find a piece by words (as the catalogue searches) or by pasting its storefront link. */
export function TokenSearch() {
  const { t } = useWords();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const [text, setText] = useState(q);
  const { query, items } = usePages(
    ['tokens', q],
    (cursor) =>
      unwrap(
        api.GET('/catalogue/tokens', { params: { query: { q, limit: 24, ...(cursor && { cursor }) } } }),
      ),
    q !== '',
  );
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const linked = tokenOfLink(text);
    if (linked) void navigate(`/console/tokens/${encodeURIComponent(linked)}`);
    else setParams(text.trim() ? { q: text.trim() } : {});
  };
  return (
    <>
      <h1>{t('tokens.title')}</h1>
      <form className="search" role="search" onSubmit={onSubmit}>
        <label>
          {t('tokens.search')}
          <input type="search" required value={text} onChange={(e) => setText(e.target.value)} />
        </label>
        <button type="submit">{t('search')}</button>
      </form>
      {q === '' ? (
        <p className="muted">{t('tokens.searchHelp')}</p>
      ) : query.isPending ? (
        <Loading />
      ) : query.isError ? (
        <ProblemNote error={query.error} onRetry={() => void query.refetch()} />
      ) : items.length === 0 ? (
        <Empty>{t('tokens.none', { q })}</Empty>
      ) : (
        <ul className="rows">
          {items.map((token) => (
            <li key={token.id}>
              <Link to={`/console/tokens/${encodeURIComponent(token.id)}`}>{token.name}</Link> ·{' '}
              {token.collection.name} ·{' '}
              <EditionLabel number={token.edition.number} total={token.edition.total} /> ·{' '}
              {token.ownerHandle ? `@${token.ownerHandle}` : t('tokens.noOwner')}{' '}
              <TokenStatusBadge status={token.status} />
            </li>
          ))}
        </ul>
      )}
      <MoreButton query={query} />
    </>
  );
}

/** One piece: who owns it, its state, freeze / unfreeze / burn with a reason, and its trail. */
export function TokenPage() {
  const { t } = useWords();
  const format = useFormat();
  const { '*': id = '' } = useParams();
  const queries = useQueryClient();
  const [done, setDone] = useState<string | null>(null);
  // The storefront's key: the item page shows the new state without a reload.
  const token = useQuery({
    queryKey: ['token', id],
    queryFn: () => unwrap(api.GET('/catalogue/tokens/{id}', { params: { path: { id } } })),
  });
  const trail = useQuery({
    queryKey: ['console', 'actions', 'subject', id],
    queryFn: () => unwrap(api.GET('/operator/actions', { params: { query: { subject: id, limit: 50 } } })),
  });
  if (token.isPending) return <Loading />;
  if (token.isError) return <ProblemNote error={token.error} onRetry={() => void token.refetch()} />;
  const item = token.data;
  const path = { params: { path: { id } } };
  const freeze: ReasonAction = {
    label: t('tokens.freeze'),
    done: t('tokens.frozenDone', { name: item.name }),
    run: (reason) => unwrap(api.POST('/operator/tokens/{id}/freeze', { ...path, body: { reason } })),
  };
  const unfreeze: ReasonAction = {
    label: t('tokens.unfreeze'),
    done: t('tokens.unfrozenDone', { name: item.name }),
    run: (reason) => unwrap(api.POST('/operator/tokens/{id}/unfreeze', { ...path, body: { reason } })),
  };
  const burn: ReasonAction = {
    label: t('tokens.burn'),
    done: t('tokens.burnedDone', { name: item.name }),
    confirm: t('tokens.burnConfirm', { name: item.name }),
    run: (reason) => unwrap(api.POST('/operator/tokens/{id}/burn', { ...path, body: { reason } })),
  };
  const actions =
    item.status === 'active' ? [freeze, burn] : item.status === 'frozen' ? [unfreeze, burn] : [];
  return (
    <article className="console-token">
      <img src={item.mediaUrl} alt={item.name} width={160} height={160} className="thumb" />
      <div>
        <h1>{item.name}</h1>
        <DoneNote message={done} />
        <Facts
          rows={[
            [t('tokens.collection'), item.collection.name],
            [
              t('tokens.edition'),
              <EditionLabel key="edition" number={item.edition.number} total={item.edition.total} />,
            ],
            [t('tokens.creator'), `@${item.creatorHandle}`],
            [t('tokens.owner'), item.ownerHandle ? `@${item.ownerHandle}` : t('tokens.noOwner')],
            [t('tokens.state'), <TokenStatusBadge key="state" status={item.status} />],
            [
              t('tokens.offer'),
              item.offer && item.status === 'active'
                ? format.money(item.offer.priceMinor, item.offer.currency)
                : t('tokens.notOnSale'),
            ],
          ]}
        />
        <p>
          <Link to={`/item/${encodeURIComponent(item.id)}`}>{t('tokens.storefront')}</Link>
        </p>
        {actions.length > 0 && (
          <ReasonActions
            name={t('tokens.act', { name: item.name })}
            actions={actions}
            onDone={(message) => {
              setDone(message);
              void queries.invalidateQueries({ queryKey: ['token', id] });
              void queries.invalidateQueries({ queryKey: ['console'] });
            }}
          />
        )}
        <section aria-labelledby="token-trail">
          <h2 id="token-trail">{t('trail.onThis')}</h2>
          {trail.isPending ? (
            <Loading />
          ) : trail.isError ? (
            <ProblemNote error={trail.error} onRetry={() => void trail.refetch()} />
          ) : (
            <ActionList actions={trail.data.items} />
          )}
        </section>
      </div>
    </article>
  );
}

/** Owners' appeals of freezes: lift (unfreeze) or uphold, each with a reason the owner reads. */
export function Appeals() {
  const { t } = useWords();
  const format = useFormat();
  const queries = useQueryClient();
  const [status, setStatus] = useState<'open' | 'upheld' | 'lifted'>('open');
  const [done, setDone] = useState<string | null>(null);
  const { query, items } = usePages(['appeals', status], (cursor) =>
    unwrap(
      api.GET('/operator/appeals', { params: { query: { status, limit: 50, ...(cursor && { cursor }) } } }),
    ),
  );
  const decide = (id: string, decision: 'lift' | 'uphold', reason: string) =>
    unwrap(
      api.POST('/operator/appeals/{id}/decide', { params: { path: { id } }, body: { decision, reason } }),
    );
  return (
    <>
      <h1>{t('appeals.title')}</h1>
      <DoneNote message={done} />
      <div className="search">
        <label>
          {t('appeals.show')}
          <select value={status} onChange={(event) => setStatus(event.target.value as typeof status)}>
            {(['open', 'upheld', 'lifted'] as const).map((value) => (
              <option key={value} value={value}>
                {t(`appeals.status.${value}`)}
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
        <Empty>{t('appeals.empty')}</Empty>
      ) : (
        <ul className="rows">
          {items.map((appeal) => (
            <li key={appeal.id}>
              <p>
                <TokenName tokenId={appeal.tokenId} /> ·{' '}
                {t('appeals.by', { handle: appeal.ownerHandle, when: format.when(appeal.createdAt) })}
              </p>
              <blockquote>{appeal.message}</blockquote>
              {appeal.decisionReason && (
                <p className="muted">
                  {t(`appeals.status.${appeal.status}`)}
                  {appeal.decidedAt && ` · ${format.date(appeal.decidedAt)}`} — {appeal.decisionReason}
                </p>
              )}
              {appeal.status === 'open' && (
                <ReasonActions
                  name={t('appeals.decide', { handle: appeal.ownerHandle })}
                  onDone={(message) => {
                    setDone(message);
                    void queries.invalidateQueries({ queryKey: ['console', 'appeals'] });
                    void queries.invalidateQueries({ queryKey: ['token', appeal.tokenId] });
                  }}
                  actions={[
                    {
                      label: t('appeals.lift'),
                      done: t('appeals.lifted'),
                      run: (reason) => decide(appeal.id, 'lift', reason),
                    },
                    {
                      label: t('appeals.uphold'),
                      done: t('appeals.upheld'),
                      run: (reason) => decide(appeal.id, 'uphold', reason),
                    },
                  ]}
                />
              )}
            </li>
          ))}
        </ul>
      )}
      <MoreButton query={query} />
    </>
  );
}
