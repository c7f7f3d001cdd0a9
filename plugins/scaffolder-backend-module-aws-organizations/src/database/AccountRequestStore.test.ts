import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import { createTestDatabases, databaseIds } from '@tenancy/test-utils';
import { storeOn } from '../__testUtils__/harness';
import { AccountRequestStore, LostClaimError } from './AccountRequestStore';

jest.setTimeout(60_000);

const databases = createTestDatabases();

describe.each(databaseIds())('AccountRequestStore on %s', databaseId => {
  let knex: Knex;
  let clock: number;
  let store: AccountRequestStore;
  const now = () => clock;

  beforeEach(async () => {
    knex = await databases.init(databaseId);
    clock = 1_000_000;
    store = await storeOn(knex, now);
  });

  const claim = (
    email: string,
    owner: string,
    tenant = 'group:default/team-a',
    leaseMs = 1000,
  ) => store.tryClaim({ email, tenant, accountName: 'acct', owner, leaseMs });

  it("migrates beside the scaffolder's own tables without touching its migration history", async () => {
    const scaffolderMigrations = resolvePackagePath(
      '@backstage/plugin-scaffolder-backend',
      'migrations',
    );
    await knex.migrate.latest({ directory: scaffolderMigrations });
    // Both histories again, in either order: neither sees the other's files.
    await storeOn(knex, now);
    await knex.migrate.latest({ directory: scaffolderMigrations });
    expect(await knex.schema.hasTable('tenancy_aws_knex_migrations')).toBe(
      true,
    );
    expect(await knex.schema.hasTable('tasks')).toBe(true);
    const ours = await knex('tenancy_aws_knex_migrations').select('name');
    expect(ours.map(r => r.name)).toEqual([
      '20260101000000_account_requests.js',
    ]);
    const theirs = await knex('knex_migrations').select('name');
    expect(theirs.map(r => r.name)).not.toContain(
      '20260101000000_account_requests.js',
    );
  });

  it('lets one owner hold an address; the same owner reclaims it with what it left', async () => {
    const first = await claim('a@example.com', 'task-1/step');
    expect(first).toMatchObject({ claimed: true, row: { state: 'queued' } });
    expect((first as any).previous).toBeUndefined();

    const other = await claim('a@example.com', 'task-2/step');
    expect(other).toMatchObject({
      claimed: false,
      holder: { owner: 'task-1/step' },
    });

    await store.tryTakeSlot('a@example.com', 'task-1/step', 5, 1000);
    await store.beginAttempt('a@example.com', 'task-1/step', 1000);
    await store.saveRequestId('a@example.com', 'task-1/step', 'car-1');
    const again = await claim('a@example.com', 'task-1/step');
    expect(again).toMatchObject({
      claimed: true,
      previous: { state: 'creating', requestId: 'car-1', owner: 'task-1/step' },
    });
  });

  it('hands a lapsed or finished row to the next task, keeping its request for recovery', async () => {
    await claim('b@example.com', 'task-1/step');
    await store.tryTakeSlot('b@example.com', 'task-1/step', 5, 1000);
    await store.beginAttempt('b@example.com', 'task-1/step', 1000);

    clock += 2000; // task-1 crashed; its lease lapsed
    const taken = await claim('b@example.com', 'task-2/step');
    expect(taken).toMatchObject({
      claimed: true,
      row: { owner: 'task-2/step', state: 'creating' },
      previous: { owner: 'task-1/step', state: 'creating', requestId: null },
    });
    // task-1 comes back: it no longer holds the row.
    await expect(
      store.saveRequestId('b@example.com', 'task-1/step', 'car-x'),
    ).rejects.toBeInstanceOf(LostClaimError);

    await store.markDone('b@example.com', 'task-2/step', '123456789012');
    expect(await claim('b@example.com', 'task-3/step')).toMatchObject({
      claimed: true,
      previous: { state: 'done', accountId: '123456789012' },
    });
  });

  it("never takes over another tenant's row while something of it may exist in AWS", async () => {
    await claim('c@example.com', 'task-1/step', 'group:default/team-a');
    await store.tryTakeSlot('c@example.com', 'task-1/step', 5, 1000);
    await store.beginAttempt('c@example.com', 'task-1/step', 1000);
    clock += 5000;
    expect(
      await claim('c@example.com', 'task-2/step', 'group:default/team-b'),
    ).toMatchObject({
      claimed: false,
      holder: { tenant: 'group:default/team-a' },
    });

    // Queued only (nothing sent) and lapsed: free for anyone.
    await claim('d@example.com', 'task-1/step', 'group:default/team-a');
    clock += 5000;
    expect(
      await claim('d@example.com', 'task-2/step', 'group:default/team-b'),
    ).toMatchObject({ claimed: true, row: { tenant: 'group:default/team-b' } });
  });

  it('gives out at most N slots to concurrent claimants, and reclaims lapsed ones', async () => {
    const emails = Array.from({ length: 6 }, (_, i) => `s${i}@example.com`);
    for (const email of emails) await claim(email, `owner-${email}`);
    const results = await Promise.all(
      emails.map(email => store.tryTakeSlot(email, `owner-${email}`, 2, 1000)),
    );
    expect(results.filter(Boolean)).toHaveLength(2);
    expect(await store.inProgress()).toHaveLength(2);
    const slots = (await store.inProgress()).map(r => r.slot).sort();
    expect(slots).toEqual([0, 1]);

    // The holders crash; their slots lapse and go to the waiting ones.
    clock += 2000;
    const waiting = emails.filter((_, i) => !results[i]);
    expect(
      await store.tryTakeSlot(waiting[0], `owner-${waiting[0]}`, 2, 1000),
    ).toBe(true);
    expect(
      await store.tryTakeSlot(waiting[1], `owner-${waiting[1]}`, 2, 1000),
    ).toBe(true);
    expect(
      await store.tryTakeSlot(waiting[2], `owner-${waiting[2]}`, 2, 1000),
    ).toBe(false);
  });

  it('frees the slot when a request ends and moves to the next attempt on failure', async () => {
    await claim('e@example.com', 'o');
    expect(await store.tryTakeSlot('e@example.com', 'o', 1, 1000)).toBe(true);
    await claim('f@example.com', 'p');
    expect(await store.tryTakeSlot('f@example.com', 'p', 1, 1000)).toBe(false);

    await store.markFailed('e@example.com', 'o', 'INTERNAL_FAILURE');
    expect(await store.get('e@example.com')).toMatchObject({
      state: 'failed',
      slot: null,
      attempt: 2,
      failure: 'INTERNAL_FAILURE',
    });
    expect(await store.tryTakeSlot('f@example.com', 'p', 1, 1000)).toBe(true);
    await store.markCreated('f@example.com', 'p', '210987654321');
    expect(await store.inProgress()).toHaveLength(0);
  });
});
