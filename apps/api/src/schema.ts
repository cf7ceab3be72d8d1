import type { DatabaseSchema } from '#database';
import { identityEntities } from '#identity';
import { migrations } from '../../../migrations/index.js';

/** Every entity and migration of the platform. */
export const schema: DatabaseSchema = {
  entities: [...identityEntities],
  migrations,
};
