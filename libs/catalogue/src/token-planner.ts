import type { DataSource, QueryRunner } from 'typeorm';
import { buildTokenQuery, type Driver, driverCandidates, type TokenSearch } from './token-query.js';
import type { TokenRow } from './token-mapping.js';

/**
 * Planner settings for catalogue reads, local to their transaction. The searched part of the
 * catalogue is cached (RAM or SSD), where a random page costs about as much as a sequential one:
 * at the default random_page_cost of 4 the planner prefers walking 100k rows in seq order to
 * fetching 8k text-search matches. And a storefront query should not take the other core from
 * concurrent requests with parallel workers.
 */
const BEGIN_WITH_SETTINGS = `BEGIN READ ONLY; SET LOCAL random_page_cost = 1.1;
  SET LOCAL max_parallel_workers_per_gather = 0`;

/**
 * Runs a token search: with several index candidates it plans the keys query once per candidate
 * as the only index driver and runs the cheapest by the planner's own estimate.
 */
export async function runTokenSearch(dataSource: DataSource, search: TokenSearch): Promise<TokenRow[]> {
  const candidates = driverCandidates(search);
  // Without text or attribute filters the plan is an obvious index walk: no settings, one round trip.
  if (search.q === undefined && search.attributes.length === 0 && candidates.length <= 1) {
    const { text, params } = buildTokenQuery(search);
    return dataSource.query(text, params);
  }
  return inPlannedTransaction(dataSource, async (runner) => {
    const driver = candidates.length > 1 ? await cheapestDriver(runner, search, candidates) : undefined;
    const { text, params } = buildTokenQuery(search, driver);
    return runner.query(text, params);
  });
}

async function cheapestDriver(
  runner: QueryRunner,
  search: TokenSearch,
  candidates: Driver[],
): Promise<Driver> {
  let best: { driver: Driver; cost: number } | undefined;
  for (const driver of candidates) {
    const { keysText, params } = buildTokenQuery(search, driver);
    const [row]: { 'QUERY PLAN': [{ Plan: { 'Total Cost': number } }] }[] = await runner.query(
      `EXPLAIN (FORMAT JSON) ${keysText}`,
      params,
    );
    const cost = row['QUERY PLAN'][0].Plan['Total Cost'];
    if (!best || cost < best.cost) best = { driver, cost };
  }
  return best!.driver;
}

/** A read-only transaction with the catalogue's planner settings; always ended before release. */
async function inPlannedTransaction<T>(dataSource: DataSource, work: (runner: QueryRunner) => Promise<T>) {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    // One round trip: a parameterless multi-statement string goes over the simple query protocol.
    await runner.query(BEGIN_WITH_SETTINGS);
    try {
      const result = await work(runner);
      await runner.query('COMMIT');
      return result;
    } catch (error) {
      await runner.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  } finally {
    await runner.release();
  }
}
