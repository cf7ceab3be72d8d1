import type { EntityManager } from 'typeorm';

interface PreparedStatementRunner {
  query(statement: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

/**
 * Runs a hot statement as a named prepared statement on the manager's connection (its transaction's
 * when it has one, else the pool's). PostgreSQL then parses it once per connection and can reuse its
 * plan, where TypeORM's unnamed statements are parsed and planned on every call — for short
 * statements that costs more than running them.
 *
 * Rules: give each text its own name, unique across the app (prefix it with the lib, e.g.
 * `checkout:lock-order`), since `pg` refuses one name with two texts; list columns instead of `*`,
 * so that a migration adding a column cannot break a prepared result type; rows come back as `pg`
 * parses them (no TypeORM result shaping, so `UPDATE … RETURNING` gives the rows alone).
 */
export async function preparedQuery<T>(
  manager: EntityManager,
  name: string,
  text: string,
  values: unknown[],
): Promise<T[]> {
  const runner: PreparedStatementRunner = manager.queryRunner
    ? await manager.queryRunner.connect()
    : (manager.connection.driver as unknown as { master: PreparedStatementRunner }).master;
  const { rows } = await runner.query({ name, text, values });
  return rows as T[];
}
