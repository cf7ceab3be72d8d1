/**
 * Catalogue benchmark (issues 4 and 12): p50/p99 latency of search + filter + keyset page at 1,000,000
 * tokens, through the real CatalogueService and SeriesService (every shape; token pages carry their
 * offers) and over HTTP (page 1 of every shape), beside plain SELECT baselines measured in the same
 * run. `npm run bench:catalogue`; BENCH_TOKENS to change the size.
 */
import { performance } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import { CatalogueService, type SeriesSearchQuery, SeriesService, type TokenSearchQuery } from '#catalogue';
import { benchApp, runBench, percentile, report } from './support.js';

const TOKENS = Number(process.env.BENCH_TOKENS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 40); // per shape; each run reads page 1 and two cursor pages
const PAGES = 3;
const EDITIONS = 10; // per piece
const PIECES_PER_COLLECTION = 10;
const CREATORS = 1_000;
const COLLECTORS = 4_000;
const TARGET_MS = 20;
// Big series: pieces of 10,000 identical editions, all on sale as drops (half not started yet), about
// a tenth of the tokens. Minted last, so they are the newest series: the series listing's worst page.
const BIG_EDITIONS = 10_000;
const BIG_SERIES = Math.max(1, Math.round(TOKENS / 100_000));
const MAIN_TOKENS = TOKENS - BIG_SERIES * BIG_EDITIONS;
const DROP_COLLECTIONS = 0.01; // of the other collections, their creator-held listings in a drop
const HELD_LISTINGS = 1_000; // held by a checkout right now

process.env.HEIRLOOM_DISABLE_JOBS = '1';

const seconds = (ms: number) => (ms / 1000).toFixed(1);

// Word lists: words are drawn with skewed frequencies, so searches range from ~20% of tokens to a few.
const ADJECTIVES =
  `golden silent amber crimson hidden ancient quiet bright frozen velvet wild gentle hollow lunar
  solar misty rusty silver painted wandering broken burning dreaming electric fading floating glass iron jade
  lonely lucky marble midnight neon paper pale proud rainy restless sacred shadow sleeping smoky stone swift
  tidal twilight violet wooden woven`.split(/\s+/);
const NOUNS = `fox owl lantern river garden harbour tower mountain forest meadow comet dragon koi crane tiger
  whale moth lotus bamboo pagoda bridge kite drum bell scroll mask compass anchor clock mirror feather shell
  tide storm ember spark orchid plum peony cedar pine maple willow heron swallow sparrow falcon wolf bear deer
  rabbit hare horse ox rooster monkey snake rat goat dog pig cat turtle crab octopus jellyfish seahorse starfish
  coral pearl jade vase teapot fan umbrella sandal kimono sword shield crown ring key door window gate wall
  road path stair roof lamp candle flame smoke cloud rain snow frost wind thunder lightning dawn dusk noon moon
  sun star planet galaxy nebula orbit rocket robot engine gear wheel sail ship boat oar net hook rope knot
  thread needle loom spindle basket jar bowl cup plate spoon knife fork chopstick rice tea ink brush paper
  stone sand dust ash salt honey milk bread wine apple peach cherry grape lemon melon`.split(/\s+/);
const COLORS = 'red orange yellow green teal blue indigo violet pink brown black white'.split(' ');
const SYLLABLES = 'ka ri mo sen ta lu vi no ra ze pa shi ko mi ya ro be du fa gi'.split(' ');
// Chinese words for a fifth of the pieces (one or two per name, the first ones common), so that
// substring searches of one, two and more characters range from common to rare.
const CJK_WORDS =
  `仙鹤 锦鲤 青龙 白虎 朱雀 玄武 山水 明月 清风 桃花 竹林 长城 故宫 熊猫 凤凰 麒麟 牡丹 荷花 梅花 兰花
  菊花 松柏 飞天 敦煌 云海 星河 江南 西湖 黄山 泰山 瓷瓶 茶壶 灯笼 风筝 折扇 玉佩 古琴 书法 水墨 锦绣 丝绸 青铜 琉璃
  翡翠 金鱼 白鹭 喜鹊 孔雀 骏马 神龙 祥云 春节 中秋 端午 元宵 月饼 饺子 汤圆 红包 福字`.split(/\s+/);

/** Deterministic pronounceable words (themes, places), so rare search terms exist. */
function syntheticWords(count: number, salt: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    let n = i * 7919 + salt;
    let word = '';
    for (let s = 0; s < 4; s++, n = Math.floor(n / SYLLABLES.length)) word += SYLLABLES[n % SYLLABLES.length];
    return word;
  });
}
const THEMES = syntheticWords(5_000, 17);
const PLACES = syntheticWords(1_000, 90_001);

async function run(databaseUrl: string): Promise<void> {
  const { app, url } = await benchApp(databaseUrl);
  try {
    const dataSource = app.get(DataSource);
    const t0 = performance.now();
    await seed(dataSource);
    const [{ n }] = await dataSource.query(`SELECT count(*)::int AS n FROM tokens`);
    console.log(`catalogue bench: seeded ${n} tokens in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const catalogue = app.get(CatalogueService);
    const seriesService = app.get(SeriesService);
    const shapes = await queryShapes(dataSource);
    const baseline = await baselines(dataSource);
    await measure(shapes, { catalogue, series: seriesService }, url, baseline);
  } finally {
    await app.close();
  }
}

/**
 * 1M tokens straight into the tables with generate_series: pieces of EDITIONS numbered editions,
 * PIECES_PER_COLLECTION pieces per collection, skewed words, four attributes, 30% listed in three
 * currencies, a few frozen and burned. Secondary indexes and foreign keys are dropped during the load
 * and rebuilt from their own definitions afterwards (much faster than maintaining them row by row).
 */
async function seed(dataSource: DataSource): Promise<void> {
  const started = performance.now();
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  const q = (text: string, params?: unknown[]) => runner.query(text, params);
  try {
    await q(`SET maintenance_work_mem = '512MB'`);
    await q(`SELECT setseed(0.42)`);
    const indexes: { indexdef: string; indexname: string }[] = await q(
      `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'tokens'
         AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'tokens'::regclass)`,
    );
    const foreignKeys: { conname: string; def: string }[] = await q(
      `SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
       WHERE conrelid = 'tokens'::regclass AND contype = 'f'`,
    );
    for (const fk of foreignKeys) await q(`ALTER TABLE tokens DROP CONSTRAINT ${fk.conname}`);
    for (const index of indexes) await q(`DROP INDEX ${index.indexname}`);

    await q(
      `CREATE TEMP TABLE bench_accounts AS
       SELECT i AS idx, id FROM (
         SELECT i, gen_random_uuid() AS id FROM generate_series(0, $1::int - 1) i) a`,
      [CREATORS + COLLECTORS],
    );
    await q(
      `INSERT INTO accounts (id, email, handle, password_hash)
       SELECT id, 'cat' || idx || '@bench.example', 'maker_' || idx, '$argon2id$bench' FROM bench_accounts`,
    );
    const pieces = Math.ceil(MAIN_TOKENS / EDITIONS);
    const collections = Math.ceil(pieces / PIECES_PER_COLLECTION);
    await q(
      `CREATE TEMP TABLE bench_collections AS
       SELECT c AS idx, gen_random_uuid() AS id, a.id AS creator_id,
         initcap(($2::text[])[1 + floor(random() * array_length($2, 1))::int]) || ' ' ||
           initcap(($3::text[])[1 + floor(random() * array_length($3, 1))::int]) AS name
       FROM generate_series(0, $1::int - 1) c JOIN bench_accounts a ON a.idx = c % ${CREATORS}`,
      [collections, THEMES, NOUNS],
    );
    await q(
      `INSERT INTO collections (id, creator_id, name, description, royalty_bps, minted)
       SELECT id, creator_id, name, 'A collection of ' || lower(name), (idx % 11) * 100, ${PIECES_PER_COLLECTION * EDITIONS}
       FROM bench_collections ORDER BY idx`,
    );
    // Skew: power > 1 makes the first words of a list common and the last ones rare.
    await q(
      `CREATE TEMP TABLE bench_pieces AS
       SELECT p, adj, noun,
         initcap(adj) || ' ' || noun || ' ' || theme || cjk AS name,
         'A ' || adj2 || ' ' || noun || ' of the ' || theme || ' series, drawn in ' || place AS description,
         jsonb_build_array(
           jsonb_build_object('trait_type', 'color', 'value', color),
           jsonb_build_object('trait_type', 'rarity', 'value',
             CASE WHEN r < 0.01 THEN 'legendary' WHEN r < 0.10 THEN 'epic' WHEN r < 0.40 THEN 'rare' ELSE 'common' END),
           jsonb_build_object('trait_type', 'background', 'value', 'bg' || background),
           jsonb_build_object('trait_type', 'level', 'value', level, 'display_type', 'number')) AS attributes
       FROM (
         SELECT p,
           ($2::text[])[1 + floor(array_length($2, 1) * random() ^ 2)::int] AS adj,
           ($2::text[])[1 + floor(array_length($2, 1) * random())::int] AS adj2,
           ($3::text[])[1 + floor(array_length($3, 1) * random() ^ 1.5)::int] AS noun,
           ($4::text[])[1 + floor(array_length($4, 1) * random())::int] AS theme,
           ($5::text[])[1 + floor(array_length($5, 1) * random())::int] AS place,
           ($6::text[])[1 + floor(array_length($6, 1) * random())::int] AS color,
           random() AS r, floor(random() * 40)::int AS background, 1 + floor(random() * 100)::int AS level,
           CASE WHEN random() < 0.2 THEN ' ' || ($7::text[])[1 + floor(array_length($7, 1) * random() ^ 1.5)::int] ||
             CASE WHEN random() < 0.5 THEN ($7::text[])[1 + floor(array_length($7, 1) * random())::int] ELSE '' END
           ELSE '' END AS cjk
         FROM generate_series(0, $1::int - 1) p) s`,
      [pieces, ADJECTIVES, NOUNS, THEMES, PLACES, COLORS, CJK_WORDS],
    );
    const chunk = 10_000; // pieces per statement
    for (let from = 0; from < pieces; from += chunk) {
      await q(
        `INSERT INTO tokens (id, collection_id, creator_id, edition_number, edition_total, name, description,
           metadata_cid, image_cid, attributes, owner_id, status, price_minor, currency, minted_at, acquired_at,
           last_event_at)
         SELECT t.id, t.collection_id, t.creator_id, t.edition, ${EDITIONS}, t.name, t.description, t.metadata_cid,
           t.image_cid, t.attributes,
           CASE WHEN t.status = 'burned' THEN NULL WHEN t.r_owner < 0.7 THEN t.creator_id ELSE o.id END, t.status,
           CASE WHEN t.listed AND t.status <> 'burned' THEN round(exp(ln(100) + t.r_price * ln(10000)))::bigint END,
           CASE WHEN t.listed AND t.status <> 'burned' THEN
             CASE WHEN t.r_cur < 0.8 THEN 'USD' WHEN t.r_cur < 0.95 THEN 'EUR' ELSE 'JPY' END END,
           t.minted_at, t.minted_at, t.minted_at
         FROM (
           SELECT 'tok_bench' || lpad((pc.p * ${EDITIONS} + e)::text, 9, '0') AS id, c.id AS collection_id,
             c.creator_id, e + 1 AS edition, pc.name, pc.description, 'bafkreimeta' || pc.p AS metadata_cid,
             'bafkreiimage' || pc.p AS image_cid, pc.attributes, random() AS r_owner,
             CASE WHEN random() < 0.005 THEN 'burned' WHEN random() < 0.01 THEN 'frozen' ELSE 'active' END AS status,
             random() < 0.3 AS listed, random() AS r_price, random() AS r_cur,
             timestamptz '2025-01-01' + (pc.p || ' minutes')::interval AS minted_at
           FROM bench_pieces pc
           JOIN bench_collections c ON c.idx = pc.p / ${PIECES_PER_COLLECTION}
           CROSS JOIN generate_series(0, ${EDITIONS - 1}) e
           WHERE pc.p >= $1 AND pc.p < $2
           ORDER BY pc.p, e) t
         JOIN bench_accounts o ON o.idx = ${CREATORS} + floor(t.r_owner * 1e6)::int % ${COLLECTORS}
         ORDER BY t.id`,
        [from, Math.min(pieces, from + chunk)],
      );
    }
    await seedBigSeries(q, pieces);
    const loaded = performance.now();
    for (const index of indexes) await q(index.indexdef);
    for (const fk of foreignKeys) await q(`ALTER TABLE tokens ADD CONSTRAINT ${fk.conname} ${fk.def}`);
    await seedOffers(q);
    await q(`VACUUM ANALYZE tokens`);
    await q(`VACUUM ANALYZE listings`);
    await q(`VACUUM ANALYZE drops`);
    await q(`VACUUM ANALYZE collections`);
    await q(`VACUUM ANALYZE accounts`);
    console.log(
      `   rows loaded in ${seconds(loaded - started)} s, indexes, foreign keys and VACUUM ANALYZE in ${seconds(performance.now() - loaded)} s`,
    );
  } finally {
    await runner.release();
  }
}

type Query = (sql: string, params?: unknown[]) => Promise<unknown>;

/** BIG_SERIES pieces of BIG_EDITIONS editions, each in a collection of its own, newest of all. */
async function seedBigSeries(q: Query, pieces: number): Promise<void> {
  await q(
    `CREATE TEMP TABLE bench_big AS
     SELECT b, gen_random_uuid() AS collection_id, a.id AS creator_id, '仙鹤' || ($2::text[])[1 + b % array_length($2, 1)]
       || ' Big ' || b AS name
     FROM generate_series(0, $1::int - 1) b JOIN bench_accounts a ON a.idx = b % ${CREATORS}`,
    [BIG_SERIES, CJK_WORDS],
  );
  await q(
    `INSERT INTO collections (id, creator_id, name, description, royalty_bps, minted)
     SELECT collection_id, creator_id, name, 'A big edition', 500, ${BIG_EDITIONS} FROM bench_big ORDER BY b`,
  );
  await q(
    `INSERT INTO tokens (id, collection_id, creator_id, edition_number, edition_total, name, description,
       metadata_cid, image_cid, owner_id, price_minor, currency, minted_at, acquired_at, last_event_at)
     SELECT 'tok_big' || lpad(b::text, 4, '0') || lpad(e::text, 6, '0'), collection_id, creator_id, e, ${BIG_EDITIONS},
       name, 'Ten thousand identical editions', 'bafkreibigmeta' || b, 'bafkreibigimage' || b, creator_id, 1999, 'USD',
       timestamptz '2025-01-01' + ((${pieces} + b) || ' minutes')::interval,
       timestamptz '2025-01-01', timestamptz '2025-01-01'
     FROM bench_big CROSS JOIN generate_series(1, ${BIG_EDITIONS}) e
     ORDER BY b, e`,
  );
}

/**
 * Listings behind every listed token (primary while the creator holds it, else resale), drops for the
 * big series and for DROP_COLLECTIONS of the others (half of them not started), and HELD_LISTINGS
 * listings held by a checkout.
 */
async function seedOffers(q: Query): Promise<void> {
  await q(`DROP INDEX listings_one_active_per_token`);
  await q(
    `INSERT INTO listings (token_id, seller_id, kind, price_minor, currency)
     SELECT id, owner_id, CASE WHEN owner_id = creator_id THEN 'primary' ELSE 'resale' END, price_minor, currency
     FROM tokens WHERE price_minor IS NOT NULL AND status = 'active'`,
  );
  await q(
    `CREATE TEMP TABLE bench_drops AS
     SELECT gen_random_uuid() AS id, c.id AS collection_id, c.creator_id,
       now() + CASE WHEN row_number() OVER (ORDER BY c.seq) % 2 = 0 THEN interval '1 day' ELSE interval '-1 day' END
         AS starts_at
     FROM collections c
     WHERE c.id IN (SELECT collection_id FROM bench_big) OR random() < ${DROP_COLLECTIONS}`,
  );
  await q(
    `INSERT INTO drops (id, collection_id, creator_id, price_minor, currency, starts_at)
     SELECT id, collection_id, creator_id, 1999, 'USD', starts_at FROM bench_drops`,
  );
  await q(
    `UPDATE listings l SET drop_id = d.id FROM bench_drops d, tokens t
     WHERE t.id = l.token_id AND t.collection_id = d.collection_id AND l.kind = 'primary'`,
  );
  await q(
    `UPDATE listings SET reserved_until = now() + interval '1 hour', reserved_order = gen_random_uuid()
     WHERE id IN (SELECT id FROM listings TABLESAMPLE SYSTEM (1) LIMIT ${HELD_LISTINGS})`,
  );
  await q(`CREATE UNIQUE INDEX listings_one_active_per_token ON listings (token_id) WHERE status = 'active'`);
}

type Params = Omit<TokenSearchQuery, 'cursor'> & { cursor?: string };
interface Shape {
  name: string;
  endpoint: 'tokens' | 'collections' | 'series';
  params: () => Params;
}

/** ~25 search + filter + sort shapes; parameters are drawn afresh on every run. */
async function queryShapes(dataSource: DataSource): Promise<Shape[]> {
  const creators: string[] = (
    await dataSource.query(
      `SELECT handle FROM accounts WHERE handle LIKE 'maker\\_%' ORDER BY random() LIMIT 200`,
    )
  ).map((r: { handle: string }) => r.handle);
  const collectionIds: string[] = (
    await dataSource.query(`SELECT id FROM collections ORDER BY random() LIMIT 200`)
  ).map((r: { id: string }) => r.id);
  const pick = <T>(list: readonly T[]) => list[Math.floor(Math.random() * list.length)];
  const between = (lo: number, hi: number) => Math.floor(lo + Math.random() * (hi - lo));
  const tokens = (name: string, params: () => Params): Shape => ({ name, endpoint: 'tokens', params });
  const series = (name: string, params: () => Params): Shape => ({ name, endpoint: 'series', params });
  return [
    tokens('newest, no filter', () => ({})),
    tokens('oldest, no filter', () => ({ sort: 'oldest' })),
    tokens('text: word in every token', () => ({ q: 'series' })),
    tokens('text: common word (~15%)', () => ({ q: pick(ADJECTIVES.slice(0, 2)) })),
    tokens('text: uncommon word (~1-2%)', () => ({ q: pick(ADJECTIVES.slice(35)) })),
    tokens('text: rare word (0.02%)', () => ({ q: pick(THEMES) })),
    tokens('text: two words (AND)', () => ({
      q: `${pick(ADJECTIVES.slice(0, 10))} ${pick(NOUNS.slice(0, 60))}`,
    })),
    tokens('text: phrase', () => ({ q: `"${pick(ADJECTIVES.slice(0, 10))} ${pick(NOUNS.slice(0, 30))}"` })),
    tokens('text: or + not', () => ({ q: `${pick(NOUNS)} or ${pick(NOUNS)} -${pick(ADJECTIVES)}` })),
    tokens('creator (handle)', () => ({ creator: pick(creators) })),
    tokens('collection', () => ({ collection: pick(collectionIds) })),
    tokens('available', () => ({ available: 'true' })),
    tokens('price range, narrow (USD)', () => {
      const low = between(100, 900_000);
      return { currency: 'USD', minPrice: low, maxPrice: Math.round(low * 1.05) };
    }),
    tokens('price range, wide + available (EUR)', () => ({
      currency: 'EUR',
      minPrice: between(100, 5000),
      maxPrice: between(50_000, 500_000),
      available: 'true',
    })),
    tokens('price ascending (USD)', () => ({ sort: 'price_asc', currency: 'USD' })),
    tokens('price descending from a floor (EUR)', () => ({
      sort: 'price_desc',
      currency: 'EUR',
      minPrice: between(1000, 100_000),
    })),
    tokens('attribute: color', () => ({ attr: [`color:${pick(COLORS)}`] })),
    tokens('attribute: legendary (1%)', () => ({ attr: ['rarity:legendary'] })),
    tokens('attributes: two traits (AND)', () => ({ attr: [`color:${pick(COLORS)}`, 'rarity:epic'] })),
    tokens('attribute: numeric level (1%)', () => ({ attr: [`level:${between(1, 101)}`] })),
    tokens('attributes: OR in a trait + available', () => ({
      attr: [`color:${pick(COLORS)}`, `color:${pick(COLORS)}`],
      available: 'true',
    })),
    tokens('text + attribute + price (USD)', () => ({
      q: pick(NOUNS.slice(0, 100)),
      attr: ['rarity:rare'],
      currency: 'USD',
      maxPrice: between(20_000, 500_000),
    })),
    tokens('rare text + price ascending (USD)', () => ({
      q: pick(THEMES),
      sort: 'price_asc',
      currency: 'USD',
    })),
    tokens('creator + available + price ascending', () => ({
      creator: pick(creators),
      available: 'true',
      sort: 'price_asc',
      currency: 'USD',
    })),
    tokens('not available + attribute', () => ({
      available: 'false',
      attr: [`background:bg${between(0, 40)}`],
    })),
    tokens('CJK: one character (common)', () => ({ q: pick(['鹤', '龙', '花', '山']) })),
    tokens('CJK: one character (rare)', () => ({ q: pick(CJK_WORDS.slice(40))[1] })),
    tokens('CJK: two characters', () => ({ q: pick(CJK_WORDS) })),
    tokens('CJK: three+ characters', () => ({ q: pick(CJK_WORDS.slice(0, 20)) + pick(CJK_WORDS)[0] })),
    tokens('CJK + available + attribute', () => ({
      q: pick(CJK_WORDS.slice(0, 10)),
      available: 'true',
      attr: ['rarity:rare'],
    })),
    tokens('CJK + price ascending (USD)', () => ({ q: pick(CJK_WORDS), sort: 'price_asc', currency: 'USD' })),
    series('series: newest (big series first)', () => ({})),
    series('series: oldest', () => ({ sort: 'oldest' })),
    series('series: newest, USD offers only', () => ({ currency: 'USD' })),
    series('series: text (common word)', () => ({ q: pick(ADJECTIVES.slice(0, 2)) })),
    series('series: text (rare word)', () => ({ q: pick(THEMES) })),
    series('series: CJK one character', () => ({ q: pick(['鹤', '龙', '花', '山']) })),
    series('series: creator', () => ({ creator: pick(creators) })),
    series('series: collection', () => ({ collection: pick(collectionIds) })),
    series('series: attribute legendary', () => ({ attr: ['rarity:legendary'] })),
    { name: 'collections: text', endpoint: 'collections', params: () => ({ q: pick(NOUNS) }) },
    { name: 'collections: creator', endpoint: 'collections', params: () => ({ creator: pick(creators) }) },
  ];
}

interface Baseline {
  byIdP50: number;
  byIdP99: number;
  orderedP99: number;
  orderedP50: number;
  httpP50: number;
  httpP99: number;
}

/** Plain SELECTs on the same table and connection pool: a primary-key lookup and a plain ORDER BY seq page. */
async function baselines(dataSource: DataSource): Promise<Omit<Baseline, 'httpP50' | 'httpP99'>> {
  const byId: number[] = [];
  const ordered: number[] = [];
  for (let i = 0; i < 500; i++) {
    const id = `tok_bench${String(Math.floor(Math.random() * MAIN_TOKENS)).padStart(9, '0')}`;
    byId.push(
      await timed(() =>
        dataSource.query(`SELECT id, name, price_minor, currency FROM tokens WHERE id = $1`, [id]),
      ),
    );
    ordered.push(
      await timed(() =>
        dataSource.query(`SELECT id, name, price_minor, currency FROM tokens ORDER BY seq DESC LIMIT 25`),
      ),
    );
  }
  return {
    byIdP50: percentile(byId, 50),
    byIdP99: percentile(byId, 99),
    orderedP50: percentile(ordered, 50),
    orderedP99: percentile(ordered, 99),
  };
}

async function measure(
  shapes: Shape[],
  { catalogue, series }: { catalogue: CatalogueService; series: SeriesService },
  url: string,
  base: Omit<Baseline, 'httpP50' | 'httpP99'>,
) {
  const call = (shape: Shape, params: Params) =>
    shape.endpoint === 'tokens'
      ? catalogue.searchTokens(params as TokenSearchQuery)
      : shape.endpoint === 'series'
        ? series.searchSeries(params as SeriesSearchQuery)
        : catalogue.searchCollections(params as TokenSearchQuery & { sort?: 'newest' | 'oldest' });
  const samples = new Map<string, number[]>(shapes.map((s) => [s.name, []]));
  const plan = Array.from({ length: RUNS + 1 }, (_, run) => run); // run 0 warms caches and is discarded
  for (const run of plan) {
    for (const shape of shapes) {
      const params = shape.params();
      let cursor: string | null = null;
      for (let page = 0; page < PAGES; page++) {
        let result: { nextCursor: string | null } | undefined;
        const ms = await timed(
          async () => (result = await call(shape, cursor ? { ...params, cursor } : params)),
        );
        if (run > 0) samples.get(shape.name)!.push(ms);
        cursor = result!.nextCursor;
        if (!cursor) break;
      }
    }
  }
  const http: number[] = [];
  const health: number[] = [];
  for (let run = 0; run < 10; run++) {
    for (const shape of shapes) {
      const query = new URLSearchParams();
      for (const [key, value] of Object.entries(shape.params())) {
        for (const v of Array.isArray(value) ? value : [value]) query.append(key, String(v));
      }
      http.push(await timed(() => get(`${url}/catalogue/${shape.endpoint}?${query}`)));
      health.push(await timed(() => get(`${url}/health`)));
    }
  }

  console.log(
    `baseline plain SELECT by id p50 ${base.byIdP50.toFixed(2)} ms p99 ${base.byIdP99.toFixed(2)} ms; ` +
      `plain ORDER BY seq LIMIT 25 p50 ${base.orderedP50.toFixed(2)} ms p99 ${base.orderedP99.toFixed(2)} ms`,
  );
  const misses: string[] = [];
  for (const shape of shapes) {
    const values = samples.get(shape.name)!;
    const p99 = percentile(values, 99);
    if (p99 >= TARGET_MS) misses.push(shape.name);
    report(
      `${shape.name.padEnd(40)} p50 ${percentile(values, 50).toFixed(2).padStart(6)} ms, p99`,
      p99,
      'ms',
      base.orderedP99,
      `< ${TARGET_MS} ms`,
    );
  }
  const all = [...samples.values()].flat();
  report(`all shapes (${all.length} pages, service) p50`, percentile(all, 50), 'ms', base.orderedP50);
  report(
    `all shapes (${all.length} pages, service) p99`,
    percentile(all, 99),
    'ms',
    base.orderedP99,
    `< ${TARGET_MS} ms`,
  );
  report(
    `all shapes over HTTP (${http.length} page-1 requests) p50`,
    percentile(http, 50),
    'ms',
    percentile(health, 50),
  );
  report(
    `all shapes over HTTP p99 (baseline: GET /health)`,
    percentile(http, 99),
    'ms',
    percentile(health, 99),
    `< ${TARGET_MS} ms`,
  );
  console.log(
    `   result: ${misses.length === 0 ? 'PASS' : `MISS (${misses.join('; ')})`} (target p99 < ${TARGET_MS} ms at ${TOKENS} tokens)`,
  );
}

async function get(target: string): Promise<void> {
  const response = await fetch(target);
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`${target}: ${response.status}`);
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await work();
  return performance.now() - t0;
}

runBench(run);
