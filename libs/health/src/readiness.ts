import { Injectable, Logger } from '@nestjs/common';

/** What one readiness check found. `failing` is reported in /ready but does not fail the probe. */
export interface ReadinessResult {
  status: 'ok' | 'failing';
  /** One sentence an operator can act on. */
  detail: string;
}

/** A check another module contributes to /ready (e.g. the ledger: "a witness refused"). */
export type ReadinessCheck = () => Promise<ReadinessResult>;

/**
 * Checks reported by /ready beside the database. They describe problems that need a person but
 * do not stop this process from serving (so they never turn the probe into a 503).
 */
@Injectable()
export class ReadinessChecks {
  private readonly logger = new Logger(ReadinessChecks.name);
  private readonly checks = new Map<string, ReadinessCheck>();

  /** Adds a named check; a name registers once. */
  register(name: string, check: ReadinessCheck): void {
    if (this.checks.has(name)) throw new Error(`readiness check ${name} registered twice`);
    this.checks.set(name, check);
  }

  /** Runs every check; one that throws is reported as failing, never as a 500. */
  async run(): Promise<({ name: string } & ReadinessResult)[]> {
    return Promise.all(
      [...this.checks].map(async ([name, check]) => {
        try {
          return { name, ...(await check()) };
        } catch (error) {
          this.logger.error({ check: name, error: String(error) }, 'readiness check failed');
          return { name, status: 'failing' as const, detail: `the check itself failed: ${String(error)}` };
        }
      }),
    );
  }
}
