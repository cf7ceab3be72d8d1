export { Witness, type WitnessOptions, type WitnessRefusal, type WitnessResponse } from './witness.js';
export { startWitnessServer, type WitnessServerOptions } from './witness-server.js';
export { WitnessStateStore, type WitnessState } from './witness-state.js';
