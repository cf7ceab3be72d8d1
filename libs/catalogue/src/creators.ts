import type { DataSource } from 'typeorm';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An account id as given, or the id behind a public handle; undefined when there is none. */
export async function resolveCreator(dataSource: DataSource, creator: string): Promise<string | undefined> {
  if (UUID.test(creator)) return creator.toLowerCase();
  const [row]: { id: string }[] = await dataSource.query(`SELECT id FROM accounts WHERE handle = $1`, [
    creator,
  ]);
  return row?.id;
}
