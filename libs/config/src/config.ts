import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

/** A configuration problem, naming every bad variable at once. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** The platform's whole configuration, parsed and validated once at start-up. */
export class HeirloomConfig {
  constructor(
    readonly port: number,
    readonly host: string,
    /** Public base URL used in links and printed at start-up. */
    readonly publicUrl: string,
    /** Explicit PostgreSQL URL; when absent an embedded PostgreSQL runs under `dataDir`. */
    readonly databaseUrl: string | undefined,
    readonly embeddedPostgresPort: number,
    readonly dataDir: string,
    readonly logLevel: string,
    readonly stripeSecretKey: string | undefined,
    /** STRIPE_WEBHOOK_SECRET; see `stripeWebhookSecret`. */
    readonly configuredWebhookSecret: string | undefined,
    readonly stripeApiHost: string | undefined,
    readonly sandboxDisputeDelayMs: number,
    readonly ipfsApiUrl: string | undefined,
    readonly maxUploadBytes: number,
    readonly maxJsonBodyBytes: number,
    readonly reservationTtlSeconds: number,
    readonly lotteryClaimSeconds: number,
    readonly platformFeeBps: number,
    readonly processorFeeBps: number,
    readonly processorFeeFixedMinor: number,
    readonly ledgerOrigin: string,
    readonly ledgerSignerKey: string | undefined,
    readonly ledgerWitnessKeys: string[],
    readonly ledgerWitnessQuorum: number,
    readonly checkpointIntervalMs: number,
    readonly sequencerIntervalMs: number,
    readonly mediaIntegrityIntervalMs: number,
    readonly idHashPepper: string,
    readonly authLimitPerAccountPerMinute: number,
    readonly authLimitPerAddressPerMinute: number,
    readonly operatorSeedEmail: string | undefined,
    readonly operatorSeedPassword: string | undefined,
    /** Unpaid reservations one account may hold at once, across the platform. */
    readonly maxUnpaidHolds: number,
    /** How long one Stripe request may wait for its answer. */
    readonly stripeTimeoutMs: number,
    /** Retries of a Stripe request that failed on the network or with a 5xx (same idempotency key). */
    readonly stripeMaxNetworkRetries: number,
    /** What the processor keeps when a dispute opens, in the order's minor units (Stripe: $15). */
    readonly disputeFeeMinor: number,
    /** Days a sale's earnings stay pending (refunds and disputes still likely) before they can be paid out. */
    readonly earningsHoldDays: number,
    /**
     * STRIPE_CONNECT_WEBHOOK_SECRET: Stripe signs events of connected accounts (`account.updated`)
     * with the secret of the Connect endpoint, which differs from the account endpoint's.
     */
    readonly stripeConnectWebhookSecret: string | undefined,
    /** How integrators' webhooks are delivered and which URLs they may name. */
    readonly webhooks: WebhookSettings,
    /**
     * STRIPE_PUBLISHABLE_KEY (pk_…): what the web front loads Stripe's Payment Element with, so card
     * numbers go to Stripe, never to us. Without it, a Stripe installation's storefront cannot take cards.
     */
    readonly stripePublishableKey: string | undefined,
    /** Where reads that may be a little stale go, and how stale they may be (see #database ReadRouter). */
    readonly readReplica: ReadReplicaSettings = { url: undefined, maxLagMs: 2000 },
  ) {}

  get embedded(): boolean {
    return this.databaseUrl === undefined;
  }

  private generatedWebhookSecret: string | undefined;

  /**
   * The secret webhooks are signed with: STRIPE_WEBHOOK_SECRET (required with Stripe), or for the
   * sandbox rail, which signs its own events, one generated per installation into the data folder
   * (read on first use, so that loading the configuration writes nothing).
   */
  get stripeWebhookSecret(): string {
    return (
      this.configuredWebhookSecret ??
      (this.generatedWebhookSecret ??= installationWebhookSecret(this.dataDir))
    );
  }
}

/** The file in the data folder holding the sandbox rail's webhook secret. */
export const WEBHOOK_SECRET_FILE = 'sandbox-webhook.secret';

/**
 * Reads the installation's webhook secret, generating it on first use (mode 0600). Written to a
 * temporary file and then linked into place, so that processes starting together on one data
 * folder all read the one secret that won, never a half-written file.
 */
function installationWebhookSecret(dataDir: string): string {
  const file = join(dataDir, WEBHOOK_SECRET_FILE);
  try {
    return readWebhookSecret(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(draft, `whsec_${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(draft, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(draft);
  }
  return readWebhookSecret(file);
}

function readWebhookSecret(file: string): string {
  const secret = readFileSync(file, 'utf8').trim();
  if (!/^whsec_[\w-]{32,}$/.test(secret)) throw new Error(`${file} does not hold a webhook secret (whsec_…)`);
  return secret;
}

/** Webhook delivery settings (WEBHOOK_*). */
export interface WebhookSettings {
  /** Endpoints on loopback (http or https to 127.0.0.1, ::1, localhost) are allowed: local development. */
  allowLocalUrls: boolean;
  /** How long one delivery attempt may take, answer included. */
  timeoutMs: number;
  /** Deliveries in flight at once, per process. */
  concurrency: number;
  /** How often an idle process looks for due deliveries. */
  pollIntervalMs: number;
  /** Delay before each retry after a failed attempt (jittered); after the last one the delivery fails. */
  retryScheduleMs: number[];
}

/** Retries after 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 3 h, 6 h, 12 h, 24 h and 24 h: about 3 days. */
const WEBHOOK_RETRY_SCHEDULE_MS = [
  5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000,
  86_400_000,
];

type Env = Record<string, string | undefined>;

export interface ReadReplicaSettings {
  /** DATABASE_READ_URL: a streaming replica (or a load balancer over replicas); unset, reads use the primary. */
  url: string | undefined;
  /** DATABASE_READ_MAX_LAG_MS: a replica further behind the primary than this is not read from. */
  maxLagMs: number;
}

/** Parses and validates the environment; throws ConfigError naming each bad variable. */
export function loadConfig(env: Env = process.env): HeirloomConfig {
  const problems: string[] = [];
  const reader = new EnvReader(env, problems);

  const port = reader.int('PORT', 3000, 0, 65535);
  const host = reader.string('HOST', '127.0.0.1');
  const dataDir = resolve(reader.string('HEIRLOOM_DATA_DIR', '.data'));
  const databaseUrl = reader.url('DATABASE_URL', ['postgres:', 'postgresql:']);
  const stripeSecretKey = reader.optional('STRIPE_SECRET_KEY');
  if (stripeSecretKey !== undefined && !/^(sk|rk)_(test|live)_\w+$/.test(stripeSecretKey)) {
    problems.push('STRIPE_SECRET_KEY must look like sk_test_… or sk_live_…');
  }
  const stripeWebhookSecret = reader.optional('STRIPE_WEBHOOK_SECRET');
  const stripePublishableKey = reader.optional('STRIPE_PUBLISHABLE_KEY');
  if (stripePublishableKey !== undefined && !/^pk_(test|live)_\w+$/.test(stripePublishableKey)) {
    problems.push('STRIPE_PUBLISHABLE_KEY must look like pk_test_… or pk_live_…');
  }
  if (stripeSecretKey !== undefined && stripeWebhookSecret === undefined) {
    problems.push('STRIPE_WEBHOOK_SECRET is required when STRIPE_SECRET_KEY is set');
  }
  const witnessKeys = (reader.optional('LEDGER_WITNESS_KEYS') ?? '').split(/[\s,]+/).filter(Boolean);
  const quorum = reader.int('LEDGER_WITNESS_QUORUM', witnessKeys.length, 0, 100);
  if (quorum > witnessKeys.length) {
    problems.push(`LEDGER_WITNESS_QUORUM (${quorum}) exceeds the number of LEDGER_WITNESS_KEYS`);
  }
  const idHashPepper = readIdHashPepper(reader, stripeSecretKey, problems);
  const publicUrl =
    reader.optional('PUBLIC_URL') ?? `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`;

  const config = new HeirloomConfig(
    port,
    host,
    publicUrl,
    databaseUrl,
    reader.int('EMBEDDED_POSTGRES_PORT', 54329, 1, 65535),
    dataDir,
    reader.oneOf('LOG_LEVEL', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    stripeSecretKey,
    // Without it the sandbox rail signs with a secret of this installation's own (no public default).
    stripeWebhookSecret,
    reader.optional('STRIPE_API_HOST'),
    reader.int('SANDBOX_DISPUTE_DELAY_MS', 2000, 0, 86_400_000),
    reader.url('IPFS_API_URL', ['http:', 'https:']),
    reader.int('MAX_UPLOAD_BYTES', 50 * 1024 * 1024, 1, 2 ** 40),
    reader.int('MAX_JSON_BODY_BYTES', 1024 * 1024, 1024, 2 ** 30),
    reader.int('RESERVATION_TTL_SECONDS', 300, 1, 86400),
    reader.int('LOTTERY_CLAIM_SECONDS', 86400, 60, 30 * 86400),
    reader.int('PLATFORM_FEE_BPS', 500, 0, 10000),
    reader.int('PROCESSOR_FEE_BPS', 290, 0, 10000),
    reader.int('PROCESSOR_FEE_FIXED_MINOR', 30, 0, 1_000_000),
    reader.string('LEDGER_ORIGIN', 'heirloom.local/ledger'),
    reader.optional('LEDGER_SIGNER_KEY'),
    witnessKeys,
    quorum,
    reader.int('CHECKPOINT_INTERVAL_MS', 5000, 100, 86_400_000),
    reader.int('LEDGER_SEQUENCE_INTERVAL_MS', 200, 10, 60_000),
    reader.int('MEDIA_INTEGRITY_INTERVAL_MS', 3_600_000, 1000, 7 * 86_400_000),
    idHashPepper,
    reader.int('AUTH_RATE_LIMIT_PER_ACCOUNT', 10, 1, 1_000_000),
    reader.int('AUTH_RATE_LIMIT_PER_ADDRESS', 60, 1, 1_000_000),
    reader.optional('HEIRLOOM_OPERATOR_EMAIL'),
    reader.optional('HEIRLOOM_OPERATOR_PASSWORD'),
    reader.int('MAX_UNPAID_HOLDS', 2, 1, 1000),
    // Worst case for a Stripe outage: (1 + retries) × timeout + ~0.5 s backoff, ~6.5 s by default.
    reader.int('STRIPE_TIMEOUT_MS', 3000, 100, 120_000),
    reader.int('STRIPE_MAX_NETWORK_RETRIES', 1, 0, 5),
    reader.int('DISPUTE_FEE_MINOR', 1500, 0, 1_000_000),
    reader.int('EARNINGS_HOLD_DAYS', 7, 0, 365),
    reader.optional('STRIPE_CONNECT_WEBHOOK_SECRET'),
    {
      // Local URLs are for development: refused in production unless explicitly allowed.
      allowLocalUrls: reader.bool('WEBHOOK_ALLOW_LOCAL_URLS', env.NODE_ENV !== 'production'),
      timeoutMs: reader.int('WEBHOOK_TIMEOUT_MS', 5000, 100, 60_000),
      concurrency: reader.int('WEBHOOK_CONCURRENCY', 64, 1, 1024),
      pollIntervalMs: reader.int('WEBHOOK_POLL_INTERVAL_MS', 1000, 10, 60_000),
      retryScheduleMs: reader.intList(
        'WEBHOOK_RETRY_SCHEDULE_MS',
        WEBHOOK_RETRY_SCHEDULE_MS,
        0,
        7 * 86_400_000,
      ),
    },
    stripePublishableKey,
    {
      url: reader.url('DATABASE_READ_URL', ['postgres:', 'postgresql:']),
      maxLagMs: reader.int('DATABASE_READ_MAX_LAG_MS', 2000, 0, 3_600_000),
    },
  );
  if (!isAbsolute(config.dataDir)) problems.push('HEIRLOOM_DATA_DIR must resolve to an absolute path');
  if ((config.operatorSeedEmail === undefined) !== (config.operatorSeedPassword === undefined)) {
    problems.push('HEIRLOOM_OPERATOR_EMAIL and HEIRLOOM_OPERATOR_PASSWORD must be set together');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/**
 * The key of the ID-number digests. They are deterministic and valid ID numbers are few enough to
 * enumerate, so the pepper is what keeps a leaked digest from naming its number: a real one is a
 * long random secret, and the public dev default is refused with a live Stripe key.
 */
function readIdHashPepper(
  reader: EnvReader,
  stripeSecretKey: string | undefined,
  problems: string[],
): string {
  const pepper = reader.optional('ID_HASH_PEPPER');
  if (pepper !== undefined && pepper.length < 32) {
    problems.push('ID_HASH_PEPPER must be a random secret of at least 32 characters');
  }
  if (pepper === undefined && /^(sk|rk)_live_/.test(stripeSecretKey ?? '')) {
    problems.push('ID_HASH_PEPPER must be set when STRIPE_SECRET_KEY is a live key (the default is public)');
  }
  return pepper ?? 'heirloom-dev-pepper';
}

class EnvReader {
  constructor(
    private readonly env: Env,
    private readonly problems: string[],
  ) {}

  optional(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  string(name: string, fallback: string): string {
    return this.optional(name) ?? fallback;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
      this.problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    this.problems.push(`${name} must be true or false (got "${raw}")`);
    return fallback;
  }

  /** A comma-separated list of whole numbers, each from `min` to `max`. */
  intList(name: string, fallback: number[], min: number, max: number): number[] {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    const values = raw.split(',').map((part) => part.trim());
    const valid = values.every(
      (value) => /^\d+$/.test(value) && Number(value) >= min && Number(value) <= max,
    );
    if (!valid || values.length > 50) {
      this.problems.push(
        `${name} must be up to 50 comma-separated whole numbers from ${min} to ${max} (got "${raw}")`,
      );
      return fallback;
    }
    return values.map(Number);
  }

  oneOf(name: string, fallback: string, allowed: string[]): string {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    if (!allowed.includes(raw))
      this.problems.push(`${name} must be one of ${allowed.join(', ')} (got "${raw}")`);
    return raw;
  }

  url(name: string, protocols: string[]): string | undefined {
    const raw = this.optional(name);
    if (raw === undefined) return undefined;
    try {
      const url = new URL(raw);
      if (!protocols.includes(url.protocol)) throw new Error('protocol');
      return raw;
    } catch {
      this.problems.push(`${name} must be a ${protocols.join(' or ')} URL`);
      return undefined;
    }
  }
}
