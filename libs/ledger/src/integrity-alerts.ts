import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** Something operators must look at: the ledger and the data beside it disagree, or a check failed. */
export interface IntegrityAlert {
  /** Stable code of what went wrong, e.g. `ledger-mismatch` or `witness-refused`. */
  kind: string;
  /** What it is about: a token id, a witness name, a checkpoint size… */
  subject: string;
  /** What was found, in a sentence an operator can act on. */
  detail: string;
}

/** An alert as stored: repeats of one kind and subject are counted on one row. */
export interface RecordedIntegrityAlert extends IntegrityAlert {
  count: number;
  firstSeenAt: string;
  lastSeenAt: string;
}

const LIST_LIMIT = 1000;

/**
 * Records integrity alerts where operators see them (GET /operator/ledger/alerts) and logs each at
 * error level. Each record is its own autocommitted statement on a pooled connection, never the
 * caller's transaction, so an alert about a refused (rolled-back) change survives it.
 */
@Injectable()
export class IntegrityAlerts {
  private readonly logger = new Logger('IntegrityAlerts');

  constructor(private readonly dataSource: DataSource) {}

  /** Logs the alerts and stores them; a repeat of a kind and subject bumps its count and last-seen time. */
  async record(...alerts: IntegrityAlert[]): Promise<void> {
    if (alerts.length === 0) return;
    for (const alert of alerts) {
      this.logger.error(alert, `ALERT ledger integrity (${alert.kind}): see GET /operator/ledger/alerts`);
    }
    await this.dataSource.query(
      `INSERT INTO ledger_alerts AS a (kind, subject, detail)
       SELECT DISTINCT ON (kind, subject) kind, subject, detail
       FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS t(kind, subject, detail, n)
       ORDER BY kind, subject, n DESC
       ON CONFLICT (kind, subject) DO UPDATE
         SET detail = EXCLUDED.detail, count = a.count + 1, last_seen_at = now()`,
      [alerts.map((a) => a.kind), alerts.map((a) => a.subject), alerts.map((a) => a.detail)],
    );
  }

  /**
   * `record`, for callers that must go on whatever happens to the alert (a refusal being answered):
   * a failure to store it is logged, never thrown. The alert itself is logged by `record` first.
   */
  async raise(...alerts: IntegrityAlert[]): Promise<void> {
    await this.record(...alerts).catch((error: unknown) =>
      this.logger.error({ alerts, error: String(error) }, 'integrity alert could not be stored'),
    );
  }

  /** The alerts, most recently seen first (at most 1000), optionally of one kind. */
  async list(kind?: string): Promise<RecordedIntegrityAlert[]> {
    const rows: { kind: string; subject: string; detail: string; count: number; first: Date; last: Date }[] =
      await this.dataSource.query(
        `SELECT kind, subject, detail, count, first_seen_at AS first, last_seen_at AS last
         FROM ledger_alerts WHERE $1::text IS NULL OR kind = $1
         ORDER BY last_seen_at DESC, kind, subject LIMIT ${LIST_LIMIT}`,
        [kind ?? null],
      );
    return rows.map((row) => ({
      kind: row.kind,
      subject: row.subject,
      detail: row.detail,
      count: row.count,
      firstSeenAt: row.first.toISOString(),
      lastSeenAt: row.last.toISOString(),
    }));
  }
}
