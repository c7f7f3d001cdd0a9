import {
  AuditorService,
  AuthService,
  BackstageCredentials,
  BackstageUserPrincipal,
  HttpAuthService,
  LoggerService,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import {
  ANNOTATION_ORIGIN_LOCATION,
  Entity,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  InputError,
  isError,
  NotAllowedError,
  NotFoundError,
  ResponseError,
} from '@backstage/errors';
import { catalogEntityDeletePermission } from '@backstage/plugin-catalog-common/alpha';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { tenancyPlatformAdminPermission } from '@tenancy/plugin-tenancy-common';
import express from 'express';
import Router from 'express-promise-router';
import {
  MemberLocation,
  MemberLocationStore,
  notOwnedBy,
} from './memberLocations';

/** The longest value the catalog indexes for filters (buildEntitySearch). */
const MAX_FILTER_VALUE = 200;

/**
 * How long a member's record of a location that does not exist is kept:
 * far longer than registering takes (see forgetOrphan).
 */
const ORPHAN_MS = 10 * 60_000;

/** Entities per page when listing what a location produced. */
const PAGE = 500;

/** What the check reads of each entity. */
const FIELDS = ['kind', 'metadata.namespace', 'metadata.name', 'spec.owner'];

/**
 * What {@link createLocationGuard} needs: the catalog plugin's own services.
 * @internal
 */
export interface LocationGuardOptions {
  httpAuth: HttpAuthService;
  auth: AuthService;
  permissions: PermissionsService;
  catalog: CatalogService;
  auditor: AuditorService;
  userInfo: UserInfoService;
  logger: LoggerService;
  store: MemberLocationStore;
}

/**
 * Unregistering or retargeting a location (`DELETE` or `PUT` on
 * `/api/catalog/locations/:id`) removes every entity it produced, whoever
 * owns them, and the catalog checks only `catalog.location.delete` /
 * `catalog.location.create`, which name no location. This router, ahead of
 * the catalog's own, lets a user who is not on the platform team do it only
 * when they may delete (`catalog.entity.delete`, owner-conditional in
 * Tenancy's policy) every entity that came from the location — their own
 * service's location, not another team's or the platform's templates.
 *
 * Tenancy's policy keeps `catalog.location.delete` to the platform team, so
 * the catalog refuses anyone else's `DELETE` (fail-closed without this
 * module); once the check here passes, this router unregisters the location
 * with the module's own service credentials and records an audit event with
 * the user. The platform team's requests and service calls go straight to
 * the catalog.
 * @internal
 */
export function createLocationGuard(
  options: LocationGuardOptions,
): express.Router {
  const { httpAuth, auth, permissions, catalog, auditor, userInfo, logger } =
    options;
  const { store } = options;
  const router = Router();

  /**
   * The user's credentials when the request is a user's who is not on the
   * platform team; undefined when the catalog alone decides.
   */
  async function memberCredentials(
    req: express.Request,
  ): Promise<BackstageCredentials<BackstageUserPrincipal> | undefined> {
    const credentials = await httpAuth.credentials(req);
    if (!auth.isPrincipal(credentials, 'user')) return undefined;
    const [platform] = await permissions.authorize(
      [{ permission: tenancyPlatformAdminPermission }],
      { credentials },
    );
    return platform.result === AuthorizeResult.ALLOW ? undefined : credentials;
  }

  /**
   * Throws NotAllowedError unless `credentials` may delete every entity the
   * location produced (Location entities, which own nothing, aside), and
   * NotFoundError when there is no such location.
   */
  async function checkOwnsAll(
    id: string,
    credentials: BackstageCredentials<BackstageUserPrincipal>,
  ): Promise<void> {
    const service = { credentials: await auth.getOwnServiceCredentials() };
    const location = await catalog.getLocationById(id, service);
    if (!location) throw new NotFoundError(`Found no location with ID ${id}`);
    const origin = `${location.type}:${location.target}`;
    // The catalog indexes values of at most 200 characters once lowercased
    // (which can lengthen them): past that, the query below would find
    // nothing and let anyone remove the location.
    if (origin.toLocaleLowerCase('en-US').length > MAX_FILTER_VALUE) {
      throw new NotAllowedError(
        `Location ${id}'s target is too long to check who owns its entities; ask the platform team to unregister it`,
      );
    }
    const items = await entitiesFrom(origin, service);
    const owned = items.filter(e => e.kind.toLocaleLowerCase() !== 'location');
    if (owned.length === 0) {
      // Nothing to check ownership by: a location whose entities are not
      // in the catalog's index yet (just registered), or never made it
      // (a broken target). Its owner cannot be told, so it is the
      // platform team's.
      throw new NotAllowedError(
        `Location ${id} has no entities in the catalog to tell whose it is; ask the platform team to unregister it, or try again once its entities show in the catalog`,
      );
    }
    const decisions = await permissions.authorize(
      owned.map(e => ({
        permission: catalogEntityDeletePermission,
        resourceRef: stringifyEntityRef(e),
      })),
      { credentials },
    );
    const refused = owned.filter(
      (_, i) => decisions[i].result !== AuthorizeResult.ALLOW,
    );
    if (refused.length > 0) {
      throw new NotAllowedError(
        `Location ${id} holds entities your teams do not own (${describeRefused(
          refused,
        )}); ask their owners or the platform team to unregister it`,
      );
    }
  }

  /**
   * Every entity whose origin location is exactly `origin`. A predicate
   * query, not a `key=value` filter: the filter syntax splits values at
   * commas and trims them, so a target with a comma would match nothing.
   */
  async function entitiesFrom(
    origin: string,
    service: { credentials: BackstageCredentials },
  ): Promise<Entity[]> {
    const items: Entity[] = [];
    let cursor: string | undefined;
    do {
      const page: Awaited<ReturnType<CatalogService['queryEntities']>> =
        await catalog.queryEntities(
          cursor
            ? { cursor, fields: FIELDS, limit: PAGE }
            : {
                query: {
                  [`metadata.annotations.${ANNOTATION_ORIGIN_LOCATION}`]:
                    origin,
                },
                fields: FIELDS,
                limit: PAGE,
                totalItems: 'exclude',
              },
          service,
        );
      items.push(...page.items);
      cursor = page.pageInfo.nextCursor;
    } while (cursor);
    return items;
  }

  /**
   * Throws unless every entity `location` produces (read now, as the
   * catalog's dry run reads it; Locations aside) names one of the member's
   * teams, or the member, as its owner. Returns the record that holds every
   * later version of the file to those owners
   * ({@link MemberLocationOwnerProcessor}), or undefined when the location
   * exists already (the catalog's to refuse or refresh; its record stays as
   * its registration left it).
   */
  async function checkRegistration(
    location: { type: string; target: string },
    credentials: BackstageCredentials<BackstageUserPrincipal>,
  ): Promise<MemberLocation | undefined> {
    if (location.type !== 'url') {
      throw new NotAllowedError(
        `Team members register url locations only; ask the platform team to register a ${location.type} location`,
      );
    }
    // The catalog trims a target where it reads an origin location: one
    // with white space around it would be recorded under another name.
    if (location.target !== location.target.trim()) {
      throw new InputError(
        'The location target starts or ends with white space; register it without',
      );
    }
    let dryRun: Awaited<ReturnType<CatalogService['addLocation']>>;
    try {
      // The user's own credentials: the catalog checks catalog.location.create.
      dryRun = await catalog.addLocation(
        { ...location, dryRun: true },
        { credentials },
      );
    } catch (error) {
      throw withCatalogMessage(error);
    }
    const { userEntityRef, ownershipEntityRefs } = await userInfo.getUserInfo(
      credentials,
    );
    const refused = notOwnedBy(dryRun.entities, ownershipEntityRefs);
    if (refused.length > 0) {
      throw new NotAllowedError(
        `${
          location.target
        } holds entities your teams do not own (${describeRefused(
          refused,
        )}); register only entities your teams own, or ask the platform team`,
      );
    }
    if (dryRun.exists) return undefined;
    return {
      ref: `${location.type}:${location.target}`,
      registeredBy: userEntityRef,
      owners: ownershipEntityRefs,
    };
  }

  /** Runs `fn` with the status once the catalog has answered; logs its failure. */
  function afterAnswer(
    res: express.Response,
    what: string,
    fn: (status: number) => Promise<void>,
  ) {
    res.on('finish', () => {
      fn(res.statusCode).catch(error => {
        logger.warn(`Could not ${what}: ${error}`);
      });
    });
  }

  /**
   * Records a member's location before the catalog registers it (so that
   * its first processing is already held to it), and undoes that when the
   * catalog does not answer `ok` — unless another request has written the
   * record since.
   */
  async function recordUnlessRefused(
    res: express.Response,
    record: MemberLocation,
    ok: number,
  ) {
    const recorded = await store.record(record);
    afterAnswer(res, `undo the record of ${record.ref}`, async status => {
      if (status !== ok) await store.undo(record.ref, recorded);
    });
  }

  /**
   * Forgets a record of `ref` that no location has and that is older than
   * any registration takes: one whose request never answered (its client
   * went away), which would otherwise hold the next registration of that
   * target to another member's teams. A younger record may belong to a
   * registration under way, so it stays.
   */
  async function forgetOrphan(ref: string) {
    const service = { credentials: await auth.getOwnServiceCredentials() };
    if (!(await catalog.getLocationByRef(ref, service))) {
      await store.forgetOlderThan(ref, ORPHAN_MS);
    }
  }

  /**
   * Once the catalog has registered `ref` for the platform team or a
   * service (`ok`), any member's record of it goes: the location is theirs.
   */
  function forgetWhenDone(res: express.Response, ref: string, ok: number) {
    afterAnswer(res, `forget the record of ${ref}`, async status => {
      if (status === ok) await store.forget(ref);
    });
  }

  /**
   * A handler for a member's request on location `:id`: the ownership
   * check, then `act`, audited as `eventId`; anyone else's request (the
   * platform team's, a service's) and a request `act` did not answer go on
   * to the catalog.
   */
  const checked =
    (
      eventId: string,
      act: (
        id: string,
        req: express.Request,
        res: express.Response,
        credentials: BackstageCredentials<BackstageUserPrincipal>,
      ) => Promise<void>,
    ) =>
    async (
      req: express.Request,
      res: express.Response,
      next: express.NextFunction,
    ) => {
      const credentials = await memberCredentials(req);
      if (!credentials) {
        next();
        return;
      }
      const { id } = req.params;
      const event = await auditor.createEvent({
        eventId,
        severityLevel: 'medium',
        request: req,
        meta: { locationId: id },
      });
      try {
        await checkOwnsAll(id, credentials);
        await act(id, req, res, credentials);
        await event.success();
      } catch (error) {
        await event.fail({ error: error as Error });
        throw error;
      }
      if (!res.headersSent) next();
    };

  router.post('/locations', express.json(), async (req, res, next) => {
    const location = locationInput(req.body);
    // A dry run changes nothing; a malformed body is the catalog's to refuse.
    if (isDryRun(req.query.dryRun) || !location) {
      next();
      return;
    }
    const credentials = await memberCredentials(req);
    const ref = `${location.type}:${location.target}`;
    if (!credentials) {
      forgetWhenDone(res, ref, 201);
      next();
      return;
    }
    await forgetOrphan(ref);
    const event = await auditor.createEvent({
      eventId: 'location-register-check',
      severityLevel: 'medium',
      request: req,
      meta: { location: ref },
    });
    let record: MemberLocation | undefined;
    try {
      record = await checkRegistration(location, credentials);
      await event.success();
    } catch (error) {
      await event.fail({ error: error as Error });
      throw error;
    }
    if (record) await recordUnlessRefused(res, record, 201);
    next();
  });

  /** Location `:id`, or undefined (the catalog answers a missing or malformed ID). */
  async function existing(req: express.Request) {
    await httpAuth.credentials(req); // 401 before any lookup
    const service = { credentials: await auth.getOwnServiceCredentials() };
    return catalog
      .getLocationById(req.params.id, service)
      .catch(() => undefined);
  }

  // Whoever unregisters a location (here or in the catalog), its record
  // goes with it: a later registration of the same target starts afresh.
  router.delete('/locations/:id', async (req, res, next) => {
    const location = await existing(req);
    if (location) {
      const ref = `${location.type}:${location.target}`;
      afterAnswer(res, `forget the record of ${ref}`, async status => {
        if (status === 204) await store.forget(ref);
      });
    }
    next();
  });

  router.delete(
    '/locations/:id',
    checked('location-unregister', async (id, _req, res) => {
      await catalog.removeLocationById(id, {
        credentials: await auth.getOwnServiceCredentials(),
      });
      res.status(204).end();
    }),
  );

  // Whoever retargets a location, the old target's record goes once the
  // catalog has done it; the platform team's new target starts afresh.
  router.put('/locations/:id', express.json(), async (req, res, next) => {
    const location = locationInput(req.body);
    const old = await existing(req);
    if (location && old) {
      const from = `${old.type}:${old.target}`;
      const to = `${location.type}:${location.target}`;
      if (from !== to) {
        afterAnswer(res, `forget the record of ${from}`, async status => {
          if (status === 200) await store.forget(from);
        });
      }
      if (!(await memberCredentials(req))) forgetWhenDone(res, to, 200);
    }
    next();
  });

  // Retargeting replaces the entities checked; what the new target holds is
  // checked as any registration is. The catalog updates the location with
  // the member's own credentials (catalog.location.create) and audits that
  // itself; this event records only the checks.
  router.put(
    '/locations/:id',
    checked('location-update-check', async (_id, req, res, credentials) => {
      const location = locationInput(req.body);
      if (location) await forgetOrphan(`${location.type}:${location.target}`);
      const record =
        location && (await checkRegistration(location, credentials));
      if (record) await recordUnlessRefused(res, record, 200);
    }),
  );

  return router;
}

/** A location in a request body, or undefined when it is not one. */
function locationInput(
  body: unknown,
): { type: string; target: string } | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { type, target } = body as Record<string, unknown>;
  return typeof type === 'string' && typeof target === 'string'
    ? { type, target }
    : undefined;
}

/**
 * A catalog error answered over HTTP (a `ResponseError`, whose message is
 * only the status) as the catalog's own error and message.
 */
function withCatalogMessage(error: unknown): unknown {
  if (!isError(error) || error.name !== 'ResponseError') return error;
  const { statusCode, body } = error as unknown as ResponseError;
  const message = body?.error?.message;
  if (!message) return error;
  if (statusCode === 400) return new InputError(message);
  if (statusCode === 403) return new NotAllowedError(message);
  if (statusCode === 404) return new NotFoundError(message);
  return error;
}

/** The catalog's reading of `?dryRun=` (the `yn` package's true values). */
function isDryRun(value: unknown): boolean {
  return /^(?:y|yes|true|1|on)$/i.test(String(value).trim());
}

/** Up to three refused entities and their owners, then how many more. */
function describeRefused(entities: Entity[]): string {
  const named = entities
    .slice(0, 3)
    .map(
      e =>
        `${stringifyEntityRef(e)} owned by ${
          (e.spec?.owner as string | undefined) ?? 'no one'
        }`,
    );
  const more = entities.length - named.length;
  return more > 0 ? `${named.join(', ')} and ${more} more` : named.join(', ');
}
