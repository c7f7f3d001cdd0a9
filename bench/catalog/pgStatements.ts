/**
 * `--pg-statements 1`: where the throw-away PostgreSQL spends its time, from
 * pg_stat_statements (nested statements too: the foreign-key checks that
 * inserts run show up on their own lines).
 */
import fs from 'node:fs';
import { Client as PgClient } from 'pg';

/** The server settings that turn pg_stat_statements on. */
export const PG_STATEMENTS_SETTINGS = [
  'shared_preload_libraries=pg_stat_statements',
  'pg_stat_statements.track=all',
  // The default 5,000 can evict statements under way and lose their time.
  'pg_stat_statements.max=20000',
];

async function withClient<T>(
  url: string,
  fn: (client: PgClient) => Promise<T>,
): Promise<T> {
  const client = new PgClient({ connectionString: `${url}/postgres` });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Forgets what was counted so far (the statistics are the whole server's). */
export async function resetStatements(url: string): Promise<void> {
  await withClient(url, async client => {
    await client.query('create extension if not exists pg_stat_statements');
    await client.query('select pg_stat_statements_reset()');
  });
}

/**
 * Writes the `top` costliest statements since the last reset to `file`;
 * returns the time all statements took, in seconds.
 */
export async function writeStatements(
  url: string,
  file: string,
  top = 25,
): Promise<number> {
  return withClient(url, async client => {
    const total = await client.query<{ calls: string; ms: number }>(
      `select sum(calls) as calls, sum(total_exec_time) as ms
         from pg_stat_statements where toplevel`,
    );
    const rows = await client.query<{
      calls: string;
      ms: number;
      rows: string;
      query: string;
    }>(
      `select calls, total_exec_time as ms, rows,
              left(regexp_replace(query, '\\s+', ' ', 'g'), 300) as query
         from pg_stat_statements
        order by total_exec_time desc limit $1`,
      [top],
    );
    const totalMs = Number(total.rows[0]?.ms ?? 0);
    const lines = [
      `top-level statements: ${total.rows[0]?.calls ?? 0} calls, ${(
        totalMs / 1000
      ).toFixed(1)} s (nested ones, e.g. foreign-key checks, are inside those)`,
      '',
      'calls\ttotal ms\tµs/call\trows\tstatement',
      ...rows.rows.map(r =>
        [
          r.calls,
          Math.round(r.ms),
          Math.round((r.ms * 1000) / Number(r.calls)),
          r.rows,
          r.query,
        ].join('\t'),
      ),
    ];
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    return totalMs / 1000;
  });
}
