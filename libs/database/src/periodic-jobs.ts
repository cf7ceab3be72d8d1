import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';

interface Job {
  name: string;
  intervalMs: number;
  run: () => Promise<void>;
  timer?: NodeJS.Timeout;
  /** The tick in progress, awaited at shutdown so no job outlives the connection pool. */
  running?: Promise<unknown>;
}

/**
 * Background jobs that are safe with several API processes: every process ticks, but a tick runs
 * only while it holds the job's PostgreSQL advisory lock, so one process works at a time.
 */
@Injectable()
export class PeriodicJobs implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(PeriodicJobs.name);
  private readonly jobs = new Map<string, Job>();
  private started = false;

  constructor(private readonly dataSource: DataSource) {}

  /** Registers a job; it starts ticking when the application has booted. */
  register(name: string, intervalMs: number, run: () => Promise<void>): void {
    if (this.jobs.has(name)) throw new Error(`job ${name} registered twice`);
    const job: Job = { name, intervalMs, run };
    this.jobs.set(name, job);
    if (this.started) this.schedule(job);
  }

  /** Runs a job now under its lock; returns false if another process holds it. */
  async runNow(name: string): Promise<boolean> {
    const job = this.jobs.get(name);
    if (!job) throw new Error(`unknown job ${name}`);
    return this.runLocked(job);
  }

  onApplicationBootstrap(): void {
    if (process.env.HEIRLOOM_DISABLE_JOBS === '1') return;
    this.started = true;
    for (const job of this.jobs.values()) this.schedule(job);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.started = false;
    for (const job of this.jobs.values()) clearTimeout(job.timer);
    await Promise.allSettled([...this.jobs.values()].flatMap((job) => (job.running ? [job.running] : [])));
  }

  private schedule(job: Job): void {
    job.timer = setTimeout(() => {
      job.running = this.runLocked(job)
        .catch((error: unknown) => this.logger.error({ job: job.name, error: String(error) }))
        .finally(() => {
          job.running = undefined;
          if (this.started) this.schedule(job);
        });
    }, job.intervalMs);
    job.timer.unref();
  }

  private async runLocked(job: Job): Promise<boolean> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [{ locked }] = await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [
        lockKey(job.name),
      ]);
      if (!locked) return false;
      try {
        await job.run();
      } finally {
        await runner.query('SELECT pg_advisory_unlock($1)', [lockKey(job.name)]);
      }
      return true;
    } finally {
      await runner.release();
    }
  }
}

/** A stable 32-bit lock key per job name (FNV-1a). */
function lockKey(name: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(`heirloom-job:${name}`)) {
    hash = Math.imul(hash ^ byte, 0x01000193);
  }
  return hash | 0;
}
