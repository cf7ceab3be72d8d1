export { InconsistentLogError, Witness, type WitnessOptions, type WitnessOutcome } from './witness.js';
export { readWitnessState, type WitnessState } from './witness-state.js';
