import { generateKey } from '../../libs/ledger/src/core/index.js';

export const TEST_ORIGIN = 'heirloom.test/ledger';

/** Deterministic keys, so every test app on the run's database signs with the same operator key. */
export const operatorKeys = generateKey(TEST_ORIGIN, new Uint8Array(32).fill(7));
export const witnessKeys = generateKey('witness.test', new Uint8Array(32).fill(9));
export const rogueWitnessKeys = generateKey('rogue.test', new Uint8Array(32).fill(11));
