import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Substring search for Chinese, Japanese and Korean text: full-text search (`simple` config) keeps a
 * run of CJK characters as one lexeme, so `鹤` never finds `仙鹤`. Every token gets the unigrams and
 * bigrams of the CJK runs in its name and description, GIN-indexed; a CJK query asks for its
 * bigrams (a single character: its unigram) and rechecks the substring.
 *
 * Why not pg_trgm (available in both the embedded PostgreSQL 18 and PostgreSQL 15): `LIKE '%仙鹤%'`
 * extracts no trigram from a pattern under three characters, so the trigram index falls back to a
 * full index scan — and one- and two-character words are most Chinese queries.
 */
const CJK_RUN = `[\\u2E80-\\u2FDF\\u3040-\\u9FFF\\uAC00-\\uD7AF\\uF900-\\uFAFF\\U00020000-\\U0002FFFF]+`;

export class CatalogueCjkSearch1764002200000 implements MigrationInterface {
  name = 'CatalogueCjkSearch1764002200000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE FUNCTION catalogue_cjk_grams(doc text) RETURNS text[]
      LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
        SELECT coalesce(array_agg(DISTINCT gram), '{}')
        FROM regexp_matches(doc, '${CJK_RUN}', 'g') AS run(m),
          generate_series(1, char_length(m[1])) AS i,
          LATERAL (VALUES (substr(m[1], i, 1)), (CASE WHEN i < char_length(m[1]) THEN substr(m[1], i, 2) END)) AS g(gram)
        WHERE gram IS NOT NULL
      $$`);
    await db.query(
      `ALTER TABLE tokens ADD COLUMN cjk_grams text[]
         GENERATED ALWAYS AS (catalogue_cjk_grams(name || ' ' || description)) STORED`,
    );
    await db.query(`CREATE INDEX tokens_cjk_grams_idx ON tokens USING gin (cjk_grams)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE tokens DROP COLUMN cjk_grams`);
    await db.query(`DROP FUNCTION catalogue_cjk_grams(text)`);
  }
}
