import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** The last checkpoint a witness co-signed: all it needs to detect a rewritten history. */
export interface WitnessState {
  origin: string;
  size: number;
  /** base64 root hash */
  root: string;
}

/** Reads the witness's state file; undefined before its first co-signature. */
export async function readWitnessState(file: string): Promise<WitnessState | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as WitnessState;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Replaces the state file atomically (write, fsync, rename), so a crash never leaves half a file. */
export async function writeWitnessState(file: string, state: WitnessState): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.tmp`;
  await writeFile(temporary, JSON.stringify(state) + '\n', { flush: true });
  await rename(temporary, file);
}
