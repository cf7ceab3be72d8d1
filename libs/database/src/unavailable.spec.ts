import { QueryFailedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from './unavailable.js';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it('knows a lost or refused connection, a shutting-down or demoted server', () => {
    for (const error of [
      pgError('57P01', 'terminating connection due to administrator command'),
      pgError('08006'),
      pgError('25006', 'cannot execute INSERT in a read-only transaction'),
      pgError('ECONNREFUSED'),
      new Error('Connection terminated unexpectedly'),
      new QueryFailedError('SELECT 1', [], pgError('57P01')),
      // A transaction whose connection the pool dropped when it died mid-way.
      new QueryRunnerProviderAlreadyReleasedError(),
    ]) {
      expect(isDatabaseUnavailable(error), String(error)).toBe(true);
    }
  });

  it('leaves statement errors and everything else alone', () => {
    for (const error of [
      pgError('23505', 'duplicate key value violates unique constraint'),
      new QueryFailedError('SELECT 1', [], pgError('42601')),
      new Error('boom'),
      'not an error',
      undefined,
    ]) {
      expect(isDatabaseUnavailable(error), String(error)).toBe(false);
    }
  });
});
