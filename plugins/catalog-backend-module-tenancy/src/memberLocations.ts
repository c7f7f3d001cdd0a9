import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import {
  ANNOTATION_ORIGIN_LOCATION,
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import {
  CatalogProcessor,
  CatalogProcessorEmit,
  LocationSpec,
} from '@backstage/plugin-catalog-node';
import { createHash, randomUUID } from 'node:crypto';
import { Knex } from 'knex';

const TABLE = 'tenancy_member_locations';
/** Not knex's default: the catalog's own migrations live in `knex_migrations` of the same database. */
const MIGRATIONS_TABLE = 'tenancy_catalog_knex_migrations';

/**
 * A location a team member registered: who, and the owners (entity refs,
 * lower-cased) its entities may name.
 * @internal
 */
export interface MemberLocation {
  /** `<type>:<target>`, as the catalog writes an origin location. */
  ref: string;
  registeredBy: string;
  owners: string[];
}

/** A row of the table. @internal */
export interface Row {
  location_key: string;
  location_ref: string;
  registered_by: string;
  owners: string;
  registered_at: number | string;
  token: string;
}

/**
 * What {@link MemberLocationStore.record} wrote and replaced: undoing it
 * touches the row only while it is still this one.
 * @internal
 */
export interface RecordedLocation {
  token: string;
  previous?: Row;
}

const keyOf = (ref: string) => createHash('sha256').update(ref).digest('hex');

/**
 * The locations team members registered, in the catalog's database. Read on
 * every check (no process cache), so every catalog replica sees a
 * registration as soon as it is recorded.
 * @internal
 */
export class MemberLocationStore {
  static async create(options: {
    database: DatabaseService;
  }): Promise<MemberLocationStore> {
    const knex = await options.database.getClient();
    if (!options.database.migrations?.skip) {
      await knex.migrate.latest({
        directory: resolvePackagePath(
          '@tenancy/plugin-catalog-backend-module-tenancy',
          'migrations',
        ),
        tableName: MIGRATIONS_TABLE,
      });
    }
    return new MemberLocationStore(knex);
  }

  private constructor(private readonly knex: Knex) {}

  /**
   * Records (or replaces) who registered `ref` and the owners allowed;
   * returns what {@link MemberLocationStore.undo} needs.
   */
  async record(location: MemberLocation): Promise<RecordedLocation> {
    const location_key = keyOf(location.ref);
    const previous = await this.knex<Row>(TABLE)
      .where({ location_key })
      .first();
    const token = randomUUID();
    await this.knex<Row>(TABLE)
      .insert({
        location_key,
        location_ref: location.ref,
        registered_by: location.registeredBy,
        owners: JSON.stringify(location.owners.map(o => o.toLowerCase())),
        registered_at: Date.now(),
        token,
      })
      .onConflict('location_key')
      .merge();
    return { token, previous };
  }

  /**
   * Puts the row of `ref` back as it was before `recorded` (or removes it),
   * unless another request has written it since.
   */
  async undo(ref: string, recorded: RecordedLocation): Promise<void> {
    const mine = this.knex<Row>(TABLE).where({
      location_key: keyOf(ref),
      token: recorded.token,
    });
    await (recorded.previous ? mine.update(recorded.previous) : mine.delete());
  }

  /** Forgets `ref`: a location no longer registered, or the platform team's. */
  async forget(ref: string): Promise<void> {
    await this.knex<Row>(TABLE)
      .where({ location_key: keyOf(ref) })
      .delete();
  }

  /**
   * Forgets `ref` when it was recorded more than `ageMs` ago: a record whose
   * registration never answered (the client went away) and has no location.
   */
  async forgetOlderThan(ref: string, ageMs: number): Promise<void> {
    await this.knex<Row>(TABLE)
      .where({ location_key: keyOf(ref) })
      .where('registered_at', '<', Date.now() - ageMs)
      .delete();
  }

  async get(ref: string): Promise<MemberLocation | undefined> {
    const row = await this.knex<Row>(TABLE)
      .where({ location_key: keyOf(ref) })
      .first();
    if (!row || row.location_ref !== ref) return undefined;
    return {
      ref: row.location_ref,
      registeredBy: row.registered_by,
      owners: JSON.parse(row.owners),
    };
  }
}

/**
 * `entity`'s owner as a full, lower-cased entity ref (a bare name is a
 * group in the entity's namespace, as the catalog reads it), or undefined
 * when it names none or cannot be read.
 * @internal
 */
export function ownerRefOf(entity: Entity): string | undefined {
  const owner = entity.spec?.owner;
  if (typeof owner !== 'string' || !owner) return undefined;
  try {
    return stringifyEntityRef(
      parseEntityRef(owner, {
        defaultKind: 'group',
        defaultNamespace: entity.metadata.namespace ?? 'default',
      }),
    ).toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * Entities (Locations aside) of `entities` that name an owner not in
 * `owners` (lower-cased refs), or none.
 * @internal
 */
export function notOwnedBy(entities: Entity[], owners: string[]): Entity[] {
  const allowed = new Set(owners.map(o => o.toLowerCase()));
  return entities.filter(e => {
    if (e.kind.toLowerCase() === 'location') return false;
    const owner = ownerRefOf(e);
    return !owner || !allowed.has(owner);
  });
}

/**
 * Refuses an entity from a location a team member registered when it names
 * an owner other than that member's teams (or the member) at registration:
 * the check at registration sees the file as it was; this one sees every
 * later version, so editing the file afterwards cannot put an entity in
 * another team's name. A refused entity keeps its last accepted version (a
 * new one never shows) and shows the error on its page.
 * @internal
 */
export class MemberLocationOwnerProcessor implements CatalogProcessor {
  constructor(private readonly store: MemberLocationStore) {}

  getProcessorName(): string {
    return 'TenancyMemberLocationOwnerProcessor';
  }

  async preProcessEntity(
    entity: Entity,
    _location: LocationSpec,
    _emit: CatalogProcessorEmit,
    originLocation: LocationSpec,
  ): Promise<Entity> {
    // Members register `url` locations only (the guard refuses others);
    // providers' and the config's entities are never looked up.
    if (originLocation.type !== 'url') return entity;
    if (entity.kind.toLowerCase() === 'location') return entity;
    // The origin as the catalog wrote it on the entity (the guard records
    // that string), not as parsed back, which trims it.
    const ref =
      entity.metadata.annotations?.[ANNOTATION_ORIGIN_LOCATION] ??
      `${originLocation.type}:${originLocation.target}`;
    const member = await this.store.get(ref);
    if (!member) return entity;
    if (notOwnedBy([entity], member.owners).length === 0) return entity;
    const owner = entity.spec?.owner;
    throw new InputError(
      `${entity.kind} ${entity.metadata.name} ${
        typeof owner === 'string'
          ? `names ${owner} as its owner`
          : 'names no owner'
      }, but ${
        member.registeredBy
      } registered ${ref} for their own teams (${member.owners.join(
        ', ',
      )}); only the platform team registers entities for other teams`,
    );
  }
}
