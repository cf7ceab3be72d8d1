import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap, type Schemas } from '../api/client';
import { Empty, Loading, ProblemNote } from '../components/Problem';
import { fetchAndOpen } from '../download';
import { useFormat } from '../format';
import { StatusBadge, useWords } from './common';

type Summary = Schemas['ReconciliationSummaryView'];
type View = Summary['view'];

/** One view's findings (the first page; the CSV has them all), columns as the API names them. */
function Findings({ view }: { view: View }) {
  const { t } = useWords();
  const format = useFormat();
  const findings = useQuery({
    queryKey: ['console', 'reconciliation', view],
    queryFn: async () => {
      const options = { params: { query: { limit: 100 } } };
      const page = await unwrap<{ findings: object[] }>(
        {
          payments: () => api.GET('/operator/reconciliation/payments', options),
          journal: () => api.GET('/operator/reconciliation/journal', options),
          payouts: () => api.GET('/operator/reconciliation/payouts', options),
          ledger: () => api.GET('/operator/reconciliation/ledger', options),
          processor: () => api.GET('/operator/reconciliation/processor', options),
        }[view](),
      );
      return page.findings as Record<string, string | number | null>[];
    },
  });
  if (findings.isPending) return <Loading />;
  if (findings.isError) return <ProblemNote error={findings.error} onRetry={() => void findings.refetch()} />;
  if (findings.data.length === 0) return <Empty>{t('reconciliation.noFindings')}</Empty>;
  const columns = Object.keys(findings.data[0]).filter((column) => column !== 'currency');
  const cell = (row: Record<string, string | number | null>, column: string) => {
    const value = row[column];
    if (value === null) return '—';
    if (column.endsWith('Minor') && typeof value === 'number' && row.currency)
      return format.money(value, String(row.currency));
    if (column === 'finding') return t(`reconciliation.kinds.${value}`, { defaultValue: String(value) });
    return String(value);
  };
  return (
    <div className="table-scroll">
      <table>
        <caption className="visually-hidden">
          {t('reconciliation.findingsOf', { view: t(`reconciliation.views.${view}`) })}
        </caption>
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column} scope="col">
                {t(`reconciliation.columns.${column}`, { defaultValue: column })}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {findings.data.map((row, index) => (
            <tr key={index}>
              {columns.map((column) => (
                <td key={column}>{cell(row, column)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ViewSummary({ summary }: { summary: Summary }) {
  const { t } = useWords();
  const format = useFormat();
  const [open, setOpen] = useState(false);
  const name = t(`reconciliation.views.${summary.view}`);
  const csv = useMutation({
    mutationFn: () =>
      fetchAndOpen(`/operator/reconciliation/${summary.view}.csv`, `reconciliation-${summary.view}.csv`),
  });
  return (
    <section aria-labelledby={`view-${summary.view}`} className="panel">
      <h2 id={`view-${summary.view}`}>
        {name}{' '}
        {summary.clean ? (
          <StatusBadge tone="ok">{t('reconciliation.clean')}</StatusBadge>
        ) : (
          <StatusBadge tone="bad">{t('reconciliation.findings', { count: summary.findings })}</StatusBadge>
        )}
      </h2>
      <p className="muted">{t(`reconciliation.help.${summary.view}`)}</p>
      <p>
        {t('reconciliation.checked', { count: summary.checked })}
        {summary.totals.map((total) => (
          <span key={total.currency}>
            {' · '}
            {format.money(total.checkedMinor, total.currency)}
            {total.findingsMinor !== 0 &&
              ` (${t('reconciliation.inFindings', { amount: format.money(total.findingsMinor, total.currency) })})`}
          </span>
        ))}
      </p>
      {summary.byKind.length > 0 && (
        <ul>
          {summary.byKind.map((kind) => (
            <li key={kind.kind}>
              {t(`reconciliation.kinds.${kind.kind}`, { defaultValue: kind.kind })}: {kind.count}
            </li>
          ))}
        </ul>
      )}
      <div className="buttons">
        <button type="button" className="secondary" aria-expanded={open} onClick={() => setOpen(!open)}>
          {open ? t('reconciliation.hide') : t('reconciliation.show', { view: name })}
        </button>
        <button type="button" className="secondary" onClick={() => csv.mutate()} disabled={csv.isPending}>
          {t('reconciliation.csv', { view: name })}
        </button>
      </div>
      {csv.isError && <ProblemNote error={csv.error} />}
      {open && <Findings view={summary.view} />}
    </section>
  );
}

/** Every reconciliation view's summary as of one instant, each with its findings and a CSV. */
export function Reconciliation() {
  const { t } = useWords();
  const overview = useQuery({
    queryKey: ['console', 'reconciliation'],
    queryFn: () => unwrap(api.GET('/operator/reconciliation')),
  });
  return (
    <>
      <h1>{t('reconciliation.title')}</h1>
      {overview.isPending ? (
        <Loading />
      ) : overview.isError ? (
        <ProblemNote error={overview.error} onRetry={() => void overview.refetch()} />
      ) : (
        <>
          <p role="status" className={overview.data.clean ? 'success' : 'problem'}>
            {overview.data.clean ? t('reconciliation.allClean') : t('reconciliation.notClean')}
          </p>
          {overview.data.views.map((summary) => (
            <ViewSummary key={summary.view} summary={summary} />
          ))}
        </>
      )}
    </>
  );
}
