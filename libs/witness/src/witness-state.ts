import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

/** The latest checkpoint a witness co-signed for one log: all it needs to refuse a rewritten history. */
export interface WitnessState {
  origin: string;
  size: number;
  /** base64 root hash */
  root: string;
}

interface StateFile {
  version: 2;
  logs: Record<string, { size: number; root: string }>;
}

/**
 * The witness's durable record, one latest checkpoint per log origin, in one JSON file replaced
 * atomically (write, fsync, rename). Updates are serialised in this process: C2SP tlog-witness
 * requires the check of the old size and the write of the new one to be atomic.
 */
export class WitnessStateStore {
  private logs = new Map<string, WitnessState>();
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(readonly file: string) {}

  /** Opens the state file (absent: nothing co-signed yet). Reads the one-log file of earlier versions too. */
  static async open(file: string): Promise<WitnessStateStore> {
    const store = new WitnessStateStore(file);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return store;
      throw error;
    }
    const parsed = JSON.parse(text) as StateFile | WitnessState;
    const entries =
      'logs' in parsed ? Object.entries(parsed.logs).map(([origin, log]) => ({ origin, ...log })) : [parsed];
    for (const state of entries) store.logs.set(state.origin, state);
    return store;
  }

  /** The latest co-signed checkpoint of `origin`, or undefined before the first. */
  get(origin: string): WitnessState | undefined {
    return this.logs.get(origin);
  }

  /**
   * Runs `step` alone (no other step of this store runs meanwhile), so that reading the latest
   * state and persisting the next one cannot interleave with another request.
   */
  exclusive<T>(step: () => Promise<T>): Promise<T> {
    const run = this.queue.then(step, step);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Persists `state` as the latest of its log; resolves once it is on disk. Call inside `exclusive`. */
  async put(state: WitnessState): Promise<void> {
    const next = new Map(this.logs).set(state.origin, { ...state });
    const body: StateFile = {
      version: 2,
      logs: Object.fromEntries([...next].map(([origin, { size, root }]) => [origin, { size, root }])),
    };
    await writeAtomically(this.file, JSON.stringify(body, null, 2) + '\n');
    this.logs = next;
  }
}

async function writeAtomically(file: string, text: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.tmp`;
  const handle = await open(temporary, 'w', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
  // The rename itself must survive a crash: sync the folder that holds the entry.
  const folder = await open(dirname(file), 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}
