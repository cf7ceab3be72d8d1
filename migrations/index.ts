import { CreateIdentity1764000000000 } from './1764000000000-CreateIdentity.js';

/** Every migration, in order; listed as classes so sources and dist share one config. */
export const migrations = [CreateIdentity1764000000000];
