import { useMutation, useQuery } from '@tanstack/react-query';
import { ApiProblem, api, unwrap } from '../api/client';
import { Empty, Loading, ProblemNote } from '../components/Problem';
import { useFormat } from '../format';
import { Facts, StatusBadge, TokenName, useWords } from './common';

interface Checkpoint {
  origin: string;
  size: number;
  /** Who signed it, and when for a timestamped witness cosignature (cosignature/v1). */
  signers: { name: string; at: Date | null }[];
  note: string;
}

/** Reads a C2SP signed checkpoint note: origin, size, root; then "— name base64(sig)" lines. */
export function parseCheckpoint(note: string): Checkpoint {
  const [body = '', signatures = ''] = note.split('\n\n');
  const [origin = '', size = '0'] = body.split('\n');
  const signers = signatures
    .split('\n')
    .filter((line) => line.startsWith('— '))
    .map((line) => {
      const [, name = '', signature = ''] = line.split(' ');
      const bytes = Uint8Array.from(atob(signature), (c) => c.charCodeAt(0));
      // cosignature/v1: key hash (4) + big-endian seconds (8) + Ed25519 signature (64).
      const at =
        bytes.length === 76 ? new Date(Number(new DataView(bytes.buffer).getBigUint64(4)) * 1000) : null;
      return { name, at };
    });
  return { origin, size: Number(size), signers, note };
}

function LatestCheckpoint() {
  const { t } = useWords();
  const format = useFormat();
  const checkpoint = useQuery({
    queryKey: ['console', 'checkpoint'],
    queryFn: async () => parseCheckpoint(await unwrap(api.GET('/ledger/checkpoint', { parseAs: 'text' }))),
  });
  const witnesses = useQuery({
    queryKey: ['console', 'witnesses'],
    queryFn: () => unwrap(api.GET('/operator/ledger/witnesses')),
  });
  if (checkpoint.isPending || witnesses.isPending) return <Loading />;
  if (checkpoint.error instanceof ApiProblem && checkpoint.error.status === 404)
    return <Empty>{t('ledger.noCheckpoint')}</Empty>;
  if (checkpoint.isError)
    return <ProblemNote error={checkpoint.error} onRetry={() => void checkpoint.refetch()} />;
  if (witnesses.isError)
    return <ProblemNote error={witnesses.error} onRetry={() => void witnesses.refetch()} />;
  const { size, signers, origin, note } = checkpoint.data;
  const cosigned = new Map(signers.map((signer) => [signer.name, signer]));
  const times = signers.flatMap((signer) => (signer.at ? [signer.at.getTime()] : []));
  const newest = times.length > 0 ? new Date(Math.max(...times)).toISOString() : null;
  const cosigners = witnesses.data.witnesses.filter((witness) => cosigned.has(witness.name));
  return (
    <>
      <section aria-labelledby="checkpoint">
        <h2 id="checkpoint">{t('ledger.checkpoint')}</h2>
        <Facts
          rows={[
            [t('ledger.size'), t('ledger.entries', { count: size })],
            [t('ledger.signedAt'), newest ? format.when(newest) : t('ledger.noTime')],
            [
              t('ledger.cosigners'),
              t('ledger.cosignedBy', {
                count: cosigners.length,
                quorum: witnesses.data.quorum,
              }),
            ],
          ]}
        />
        <details>
          <summary>{t('ledger.note')}</summary>
          <p className="muted">{t('ledger.noteHelp', { origin })}</p>
          <pre>{note}</pre>
        </details>
      </section>
      <section aria-labelledby="witnesses">
        <h2 id="witnesses">{t('ledger.witnesses')}</h2>
        {witnesses.data.witnesses.length === 0 ? (
          <Empty>{t('ledger.noWitnesses')}</Empty>
        ) : (
          <div className="table-scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('ledger.witness')}</th>
                  <th scope="col">{t('ledger.cosignedThis')}</th>
                  <th scope="col">{t('ledger.lastCosigned')}</th>
                  <th scope="col">{t('ledger.lag')}</th>
                  <th scope="col">{t('ledger.health')}</th>
                </tr>
              </thead>
              <tbody>
                {witnesses.data.witnesses.map((witness) => (
                  <tr key={witness.name}>
                    <th scope="row">
                      {witness.name}
                      {!witness.active && ` (${t('ledger.retired')})`}
                    </th>
                    <td>{cosigned.has(witness.name) ? t('yes') : t('no')}</td>
                    <td>
                      {witness.lastSuccess
                        ? t('ledger.cosignedAt', {
                            count: witness.lastSuccess.size,
                            when: format.when(witness.lastSuccess.at),
                          })
                        : t('ledger.never')}
                    </td>
                    <td>{t('ledger.entries', { count: witness.lagEntries })}</td>
                    <td>
                      {witness.refusing && witness.lastRefusal ? (
                        <StatusBadge tone="bad">
                          {t('ledger.refusing', { reason: witness.lastRefusal.reason })}
                        </StatusBadge>
                      ) : witness.lastError ? (
                        <StatusBadge tone="bad">
                          {t('ledger.failing', { reason: witness.lastError.reason })}
                        </StatusBadge>
                      ) : (
                        <StatusBadge tone="ok">{t('ledger.healthy')}</StatusBadge>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}

function Alerts() {
  const { t } = useWords();
  const format = useFormat();
  const alerts = useQuery({
    queryKey: ['console', 'alerts'],
    queryFn: () => unwrap(api.GET('/operator/ledger/alerts')),
  });
  return (
    <section aria-labelledby="alerts">
      <h2 id="alerts">{t('ledger.alerts')}</h2>
      {alerts.isPending ? (
        <Loading />
      ) : alerts.isError ? (
        <ProblemNote error={alerts.error} onRetry={() => void alerts.refetch()} />
      ) : alerts.data.length === 0 ? (
        <Empty>{t('ledger.noAlerts')}</Empty>
      ) : (
        <ul className="rows">
          {alerts.data.map((alert) => (
            <li key={`${alert.kind} ${alert.subject}`}>
              <strong>{t(`ledger.alertKinds.${alert.kind}`, { defaultValue: alert.kind })}</strong> ·{' '}
              {alert.subject} ·{' '}
              {t('ledger.seen', { count: alert.count, when: format.when(alert.lastSeenAt) })}
              <br />
              <span className="muted">{alert.detail}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** Replays the whole ledger against the ownership tables and shows what it found. */
function AuditReplay() {
  const { t } = useWords();
  const replay = useMutation({ mutationFn: () => unwrap(api.POST('/operator/audit/replay')) });
  const report = replay.data;
  return (
    <section aria-labelledby="replay">
      <h2 id="replay">{t('ledger.replay')}</h2>
      <p className="muted">{t('ledger.replayHelp')}</p>
      <button type="button" onClick={() => replay.mutate()} disabled={replay.isPending}>
        {t('ledger.runReplay')}
      </button>
      {replay.isPending && (
        <p role="status" className="loading">
          {t('ledger.replaying')}
        </p>
      )}
      {replay.isError && <ProblemNote error={replay.error} />}
      {report && (
        <div className="panel" data-testid="replay-result">
          <p role="status" className={report.ok ? 'success' : 'problem'}>
            {report.ok ? t('ledger.clean') : t('ledger.mismatches', { count: report.mismatches.length })}
          </p>
          <Facts
            rows={[
              [t('ledger.replayedEntries'), String(report.entries)],
              [t('ledger.queued'), String(report.queued)],
              [t('ledger.checkpointsChecked'), String(report.checkpointsChecked)],
              [t('ledger.tokens'), String(report.tokens)],
              [t('ledger.took'), t('ledger.seconds', { seconds: (report.durationMs / 1000).toFixed(1) })],
            ]}
          />
          {report.mismatches.length > 0 && (
            <ul className="rows">
              {report.mismatches.map((mismatch, index) => (
                <li key={index}>
                  <strong>{t(`ledger.mismatchKinds.${mismatch.kind}`)}</strong>
                  {mismatch.tokenId && (
                    <>
                      {' '}
                      · <TokenName tokenId={mismatch.tokenId} />
                    </>
                  )}
                  {mismatch.index !== undefined && ` · ${t('ledger.atIndex', { index: mismatch.index })}`}
                  <br />
                  <span className="muted">{mismatch.detail}</span>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </section>
  );
}

/** The ledger at a glance: newest checkpoint, its witnesses, integrity alerts, audit replay. */
export function LedgerStatus() {
  const { t } = useWords();
  return (
    <>
      <h1>{t('ledger.title')}</h1>
      <LatestCheckpoint />
      <Alerts />
      <AuditReplay />
    </>
  );
}
