/*
 * The portal runs knex with .yarn/patches/knex-npm-3.3.0-*.patch: knex's
 * batchInsert waited on a 1 ms timer before every call, inside the caller's
 * transaction. Backstage's catalog calls it at least twice for every entity
 * it processes (refresh keys, relations; search rows on SQLite when
 * stitching), so every processed entity held its transaction — on SQLite
 * the only connection — open across timer waits, and the catalog spent half
 * its ingestion time idle (bench/README.md, `catalog`).
 *
 * This test fails on an unpatched knex: with setTimeout frozen (Jest's fake
 * timers, nothing else faked), batchInsert must still finish, because the
 * patched version yields with setImmediate instead of a timer.
 */
import type { Knex } from 'knex';
import { createTestDatabases } from '@tenancy/test-utils';

jest.setTimeout(60_000);

const databases = createTestDatabases();
// Captured before the fake timers replace them: the guard must really elapse.
const realSetTimeout = global.setTimeout;
const realClearTimeout = global.clearTimeout;

async function settlesWithoutTimers<T>(what: string, op: Promise<T>) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<'stuck'>(resolve => {
    timer = realSetTimeout(() => resolve('stuck'), 10_000);
  });
  const result = await Promise.race([op, guard]).finally(() =>
    realClearTimeout(timer),
  );
  if (result === 'stuck') {
    // Let the stuck transaction finish, so that it does not hold the
    // connection through the teardown.
    jest.runOnlyPendingTimers();
    await op.catch(() => undefined);
    throw new Error(
      `${what} did not finish while timers were frozen: knex's batchInsert is waiting on a timer again — is .yarn/patches/knex-*.patch applied (yarn install)?`,
    );
  }
  return result as T;
}

describe.each(databases.eachSupportedId())(
  'knex batchInsert in a transaction, %p',
  databaseId => {
    let knex: Knex;

    beforeAll(async () => {
      knex = await databases.init(databaseId);
      await knex.schema.createTable('batch_insert_check', table => {
        table.string('key').primary();
      });
    });

    afterEach(() => {
      jest.useRealTimers();
    });

    it('inserts every row, and inserts nothing for an empty batch, with setTimeout frozen', async () => {
      // Connect first: opening a pooled connection may use timers of its own.
      await knex.raw('select 1');
      jest.useFakeTimers({
        doNotFake: [
          'Date',
          'hrtime',
          'nextTick',
          'performance',
          'queueMicrotask',
          'setImmediate',
          'clearImmediate',
          'setInterval',
          'clearInterval',
        ],
      });

      await settlesWithoutTimers(
        'a transaction with two batchInserts',
        knex.transaction(async tx => {
          // What the catalog does for an entity without refresh keys.
          const none: Array<{ key: string }> = [];
          await tx.batchInsert('batch_insert_check', none, 50);
          await tx.batchInsert(
            'batch_insert_check',
            [{ key: 'a' }, { key: 'b' }, { key: 'c' }],
            2,
          );
        }),
      );
      jest.useRealTimers();

      const rows = await knex('batch_insert_check')
        .select('key')
        .orderBy('key');
      expect(rows.map(r => r.key)).toEqual(['a', 'b', 'c']);
    });
  },
);
