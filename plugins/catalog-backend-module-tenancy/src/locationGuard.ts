import {
  AuditorService,
  AuthService,
  BackstageCredentials,
  BackstageUserPrincipal,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  ANNOTATION_ORIGIN_LOCATION,
  Entity,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import { catalogEntityDeletePermission } from '@backstage/plugin-catalog-common/alpha';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { tenancyPlatformAdminPermission } from '@tenancy/plugin-tenancy-common';
import express from 'express';
import Router from 'express-promise-router';

/** The longest value the catalog indexes for filters (buildEntitySearch). */
const MAX_FILTER_VALUE = 200;

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
  const { httpAuth, auth, permissions, catalog, auditor } = options;
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
   * A handler for a member's request on location `:id`: the ownership
   * check, then `act`, audited as `eventId`; anyone else's request (the
   * platform team's, a service's) and a request `act` did not answer go on
   * to the catalog.
   */
  const checked =
    (
      eventId: string,
      act: (id: string, res: express.Response) => Promise<void>,
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
        await act(id, res);
        await event.success();
      } catch (error) {
        await event.fail({ error: error as Error });
        throw error;
      }
      if (!res.headersSent) next();
    };

  router.delete(
    '/locations/:id',
    checked('location-unregister', async (id, res) => {
      await catalog.removeLocationById(id, {
        credentials: await auth.getOwnServiceCredentials(),
      });
      res.status(204).end();
    }),
  );

  // Retargeting replaces the entities checked; what the new target holds is
  // checked as any registration is. The catalog updates the location with
  // the member's own credentials (catalog.location.create) and audits that
  // itself; this event records only the check.
  router.put(
    '/locations/:id',
    checked('location-update-check', async () => {}),
  );

  return router;
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
