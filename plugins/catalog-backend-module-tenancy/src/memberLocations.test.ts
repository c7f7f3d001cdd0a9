import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { createTestDatabases, databaseIds } from '@tenancy/test-utils';
import { Knex } from 'knex';
import {
  MemberLocationOwnerProcessor,
  MemberLocationStore,
  notOwnedBy,
  ownerRefOf,
} from './memberLocations';

jest.setTimeout(60_000);

const databases = createTestDatabases();

const component = (
  owner: string | number | undefined,
  namespace?: string,
): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'svc', ...(namespace ? { namespace } : {}) },
  spec: { type: 'service', lifecycle: 'production', owner },
});

const BOB = {
  registeredBy: 'user:default/bob',
  owners: ['user:default/bob', 'group:default/Team-Search'],
};
const TARGET = 'https://git.example.com/team-search/svc/catalog-info.yaml';

describe('ownerRefOf and notOwnedBy', () => {
  it("reads an owner as the catalog does: a bare name is a group in the entity's namespace", () => {
    expect(ownerRefOf(component('team-search'))).toBe(
      'group:default/team-search',
    );
    expect(ownerRefOf(component('Team-Search', 'apps'))).toBe(
      'group:apps/team-search',
    );
    expect(ownerRefOf(component('user:bob'))).toBe('user:default/bob');
    expect(ownerRefOf(component(42))).toBeUndefined();
    expect(ownerRefOf(component('group:default/'))).toBeUndefined();
  });

  it('lets Locations through and refuses an entity naming no owner or another', () => {
    const location: Entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Location',
      metadata: { name: 'loc' },
      spec: { targets: ['./other.yaml'] },
    };
    const own = component('group:default/team-search');
    const mine = component('user:bob');
    const theirs = component('team-payments');
    const none = component(undefined);
    expect(notOwnedBy([location, own, mine, theirs, none], BOB.owners)).toEqual(
      [theirs, none],
    );
  });
});

describe.each(databaseIds())('MemberLocationStore on %s', databaseId => {
  let knex: Knex;
  let store: MemberLocationStore;

  beforeEach(async () => {
    knex = await databases.init(databaseId);
    store = await MemberLocationStore.create({
      database: { getClient: async () => knex },
    });
  });

  it("migrates beside the catalog's own tables without touching its migration history", async () => {
    const catalogMigrations = resolvePackagePath(
      '@backstage/plugin-catalog-backend',
      'migrations',
    );
    await knex.migrate.latest({ directory: catalogMigrations });
    await MemberLocationStore.create({
      database: { getClient: async () => knex },
    });
    expect(await knex.schema.hasTable('final_entities')).toBe(true);
    const ours = await knex('tenancy_catalog_knex_migrations').select('name');
    expect(ours.map(r => r.name)).toEqual([
      '20261202000000_member_locations.js',
    ]);
    const theirs = await knex('knex_migrations').select('name');
    expect(theirs.map(r => r.name)).not.toContain(
      '20261202000000_member_locations.js',
    );
  });

  it('records, replaces and forgets a location by its exact ref', async () => {
    const ref = `url:${TARGET}`;
    expect(await store.get(ref)).toBeUndefined();
    await store.record({ ref, ...BOB });
    expect(await store.get(ref)).toEqual({
      ref,
      registeredBy: 'user:default/bob',
      owners: ['user:default/bob', 'group:default/team-search'],
    });
    // Another case or a longer target is another location.
    expect(await store.get(ref.toUpperCase())).toBeUndefined();
    expect(await store.get(`${ref}x`)).toBeUndefined();
    // A target longer than any index entry is stored whole.
    const long = `url:${TARGET}/${'deep/'.repeat(500)}`;
    await store.record({ ref: long, ...BOB });
    expect((await store.get(long))?.ref).toBe(long);

    await store.record({
      ref,
      registeredBy: 'user:default/carol',
      owners: ['group:default/team-x'],
    });
    expect(await store.get(ref)).toMatchObject({
      registeredBy: 'user:default/carol',
      owners: ['group:default/team-x'],
    });
    await store.forget(ref);
    expect(await store.get(ref)).toBeUndefined();
    expect(await store.get(long)).toBeDefined();
  });

  it("undoes a refused registration's record, but never a later registration's", async () => {
    const ref = `url:${TARGET}`;
    const CAROL = {
      registeredBy: 'user:default/carol',
      owners: ['group:default/team-x'],
    };
    // Nothing before: undone, nothing is left.
    const first = await store.record({ ref, ...BOB });
    await store.undo(ref, first);
    expect(await store.get(ref)).toBeUndefined();

    // bob's record before: undone, it is back.
    await store.record({ ref, ...BOB });
    const carol = await store.record({ ref, ...CAROL });
    await store.undo(ref, carol);
    expect(await store.get(ref)).toMatchObject({
      registeredBy: 'user:default/bob',
    });

    // Two at once: the first one's refusal leaves the second's record.
    await store.forget(ref);
    const one = await store.record({ ref, ...CAROL });
    await store.record({ ref, ...BOB });
    await store.undo(ref, one);
    expect(await store.get(ref)).toMatchObject({
      registeredBy: 'user:default/bob',
    });
  });

  it('forgets a record only once it is older than asked', async () => {
    const ref = `url:${TARGET}`;
    await store.record({ ref, ...BOB });
    await store.forgetOlderThan(ref, 60_000);
    expect(await store.get(ref)).toBeDefined();
    await knex('tenancy_member_locations').update({
      registered_at: Date.now() - 120_000,
    });
    await store.forgetOlderThan(ref, 60_000);
    expect(await store.get(ref)).toBeUndefined();
  });

  describe('MemberLocationOwnerProcessor', () => {
    const origin = { type: 'url', target: TARGET };
    const run = (
      processor: MemberLocationOwnerProcessor,
      entity: Entity,
      from = origin,
    ) => processor.preProcessEntity(entity, from, () => {}, from);

    it("refuses an entity of a member's location that names another owner, and lets the rest through", async () => {
      const processor = new MemberLocationOwnerProcessor(store);
      const theirs = component('group:default/team-payments');
      // Not recorded: the platform team's or a service's location.
      await expect(run(processor, theirs)).resolves.toBe(theirs);

      await store.record({ ref: `url:${TARGET}`, ...BOB });
      const own = component('team-search');
      await expect(run(processor, own)).resolves.toBe(own);
      const error = await run(processor, theirs).catch(e => e);
      expect(error).toBeInstanceOf(InputError);
      expect(error.message).toBe(
        `Component svc names group:default/team-payments as its owner, but user:default/bob registered url:${TARGET} for their own teams (user:default/bob, group:default/team-search); only the platform team registers entities for other teams`,
      );
      await expect(run(processor, component(undefined))).rejects.toThrow(
        /^Component svc names no owner, but user:default\/bob registered/,
      );

      // Only url origins are looked up: members register no other type.
      const file = { type: 'file', target: TARGET };
      await store.record({ ref: `file:${TARGET}`, ...BOB });
      await expect(run(processor, theirs, file)).resolves.toBe(theirs);
    });
  });
});
