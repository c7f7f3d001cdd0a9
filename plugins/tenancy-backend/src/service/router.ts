import {
  BackstageCredentials,
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  EntityHealth,
  tenancyFleetReadPermission,
  tenancyNamespaceReadPermission,
  tenancyTenantReadPermission,
  TeamHealth,
  TenantAccount,
} from '@tenancy/plugin-tenancy-common';
import {
  namespaceMatches,
  TenancyNamespaceResource,
  TenancyNamespaceRuleset,
} from '@tenancy/plugin-tenancy-node';
import {
  clusterView,
  EntitySelector,
  entityHealth,
  fleetView,
  FleetSnapshot,
  redactClusterError,
  tenantView,
} from '../fleet';
import express from 'express';
import Router from 'express-promise-router';
import { FleetSnapshotService } from './FleetSnapshotService';

export interface RouterOptions {
  snapshots: Pick<FleetSnapshotService, 'get'>;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  catalog: CatalogService;
  /** The rules of the `tenancy-namespace` resource type, to apply conditional decisions. */
  namespaceRules: TenancyNamespaceRuleset;
}

// Entity ref parts and cluster names: what Backstage and Kubernetes allow,
// and no more — anything else is a 400 before any work (S35).
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;
const KIND = /^[A-Za-z][A-Za-z0-9]{0,62}$/;

function param(value: string, what: string, pattern = NAME): string {
  if (!pattern.test(value)) {
    throw new InputError(
      `Invalid ${what} "${value.slice(0, 40)}${
        value.length > 40 ? '…' : ''
      }": expected letters, digits, '.', '_' or '-', at most 253 characters`,
    );
  }
  return value;
}

/** How Backstage's Kubernetes plugin finds an entity's workloads, from its annotations. */
export function selectorOf(entity: Entity): EntitySelector | undefined {
  const annotations = entity.metadata.annotations ?? {};
  const namespace = annotations['backstage.io/kubernetes-namespace'];
  const id = annotations['backstage.io/kubernetes-id'];
  if (id) return { labels: { 'backstage.io/kubernetes-id': id }, namespace };
  const selector = annotations['backstage.io/kubernetes-label-selector'];
  if (selector) {
    const labels: Record<string, string> = {};
    for (const part of selector.split(',')) {
      const [key, value] = part.split('=').map(s => s.trim());
      if (!key || value === undefined) return undefined;
      labels[key] = value;
    }
    return { labels, namespace };
  }
  return undefined;
}

export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { snapshots, httpAuth, permissions, catalog, namespaceRules } = options;
  const router = Router();
  router.use(express.json());

  const allowed = async (
    credentials: BackstageCredentials,
    permission: typeof tenancyFleetReadPermission,
  ) => {
    const [decision] = await permissions.authorize([{ permission }], {
      credentials,
    });
    return decision.result === AuthorizeResult.ALLOW;
  };

  /**
   * What the caller may read, as the permission policy decides it for
   * `tenancy.namespace.read`: every namespace (the platform team's ALLOW),
   * none (DENY), or those meeting the policy's conditions — the shipped
   * policy's `IS_TENANT_MEMBER` with the caller's teams (S37). Only holders
   * of tenancy.fleet.read are told why a cluster could not be read (S38).
   */
  type Scope = {
    platform: boolean;
    visible?: (namespace: TenancyNamespaceResource) => boolean;
  };
  const scopeOf = async (credentials: BackstageCredentials): Promise<Scope> => {
    const [[namespaces], platform] = await Promise.all([
      permissions.authorizeConditional(
        [{ permission: tenancyNamespaceReadPermission }],
        { credentials },
      ),
      allowed(credentials, tenancyFleetReadPermission),
    ]);
    if (namespaces.result === AuthorizeResult.ALLOW) return { platform };
    if (namespaces.result !== AuthorizeResult.CONDITIONAL) {
      return { platform, visible: () => false };
    }
    const { conditions } = namespaces;
    return {
      platform,
      visible: ns => namespaceMatches(conditions, ns, namespaceRules),
    };
  };

  /**
   * A team's page: for those who may read the team's namespaces — its
   * members, and the platform team (S33) — and hold tenancy.tenant.read.
   */
  const authorizeTenant = async (
    credentials: BackstageCredentials,
    scope: Scope,
    groupRef: string,
  ) => {
    const mayRead =
      (!scope.visible ||
        scope.visible({ name: '', cluster: '', tenant: groupRef })) &&
      (await allowed(credentials, tenancyTenantReadPermission));
    if (!mayRead) {
      throw new NotAllowedError(
        `You may not read ${groupRef}: only its members and the platform team may`,
      );
    }
  };

  const entityHealthOf = (
    snapshot: FleetSnapshot,
    entity: Entity,
    scope: Scope,
  ): EntityHealth => {
    const ref = stringifyEntityRef(entity);
    const selector = selectorOf(entity);
    if (!selector) {
      return {
        entityRef: ref,
        state: 'unknown',
        clusters: [],
        generatedAt: snapshot.generatedAt,
      };
    }
    // Whatever the entity's annotations say, only namespaces the caller may
    // read are searched: registering a Component that names another team's
    // workloads shows nothing of them (S37).
    const health = entityHealth(snapshot, ref, {
      ...selector,
      visible: scope.visible,
    });
    if (scope.platform) return health;
    return {
      ...health,
      clusters: health.clusters.map(c =>
        c.error ? { ...c, error: redactClusterError(c.error) } : c,
      ),
    };
  };

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/fleet', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    if (!(await allowed(credentials, tenancyFleetReadPermission))) {
      throw new NotAllowedError(
        'The fleet view is for the platform team (tenancy.fleet.read)',
      );
    }
    res.json(fleetView(await snapshots.get()));
  });

  router.get('/clusters/:name', async (req, res) => {
    const name = param(req.params.name, 'cluster name');
    const credentials = await httpAuth.credentials(req);
    if (!(await allowed(credentials, tenancyFleetReadPermission))) {
      throw new NotAllowedError(
        'Cluster views are for the platform team (tenancy.fleet.read)',
      );
    }
    res.json(clusterView(await snapshots.get(), name));
  });

  /** The team in the path, once the caller may see it (a member, or the platform team). */
  const authorizedTeam = async (
    req: express.Request<{ namespace: string; name: string }>,
  ) => {
    const groupRef = stringifyEntityRef({
      kind: 'group',
      namespace: param(req.params.namespace, 'namespace'),
      name: param(req.params.name, 'group name'),
    });
    const credentials = await httpAuth.credentials(req);
    const scope = await scopeOf(credentials);
    await authorizeTenant(credentials, scope, groupRef);
    return { groupRef, credentials, scope };
  };

  router.get('/tenants/:namespace/:name', async (req, res) => {
    const { groupRef, credentials, scope } = await authorizedTeam(req);
    const [snapshot, resources] = await Promise.all([
      snapshots.get(),
      catalog.getEntities(
        {
          filter: {
            kind: 'Resource',
            'spec.type': 'aws-account',
            'relations.ownedBy': groupRef,
          },
        },
        { credentials },
      ),
    ]);
    const accounts: TenantAccount[] = resources.items.map(e => ({
      entityRef: stringifyEntityRef(e),
      title: e.metadata.title,
      accountId:
        e.metadata.annotations?.['tenancy.dev/aws-account-id'] ??
        e.metadata.annotations?.['amazonaws.com/account-id'],
    }));
    const view = tenantView(snapshot, groupRef, accounts);
    if (!scope.platform) {
      view.clusterErrors = view.clusterErrors.map(c => ({
        ...c,
        error: redactClusterError(c.error),
      }));
    }
    res.json(view);
  });

  router.get('/entities/:kind/:namespace/:name/health', async (req, res) => {
    const ref = {
      kind: param(req.params.kind, 'kind', KIND),
      namespace: param(req.params.namespace, 'namespace'),
      name: param(req.params.name, 'name'),
    };
    const credentials = await httpAuth.credentials(req);
    // Read with the caller's own credentials: the catalog's permissions decide
    // whether they may see the entity at all.
    const [entity, scope] = await Promise.all([
      catalog.getEntityByRef(ref, { credentials }),
      scopeOf(credentials),
    ]);
    if (!entity)
      throw new NotFoundError(`No entity ${stringifyEntityRef(ref)}`);
    res.json(entityHealthOf(await snapshots.get(), entity, scope));
  });

  router.get('/teams/:namespace/:name/health', async (req, res) => {
    const { groupRef, credentials, scope } = await authorizedTeam(req);
    const [snapshot, owned] = await Promise.all([
      snapshots.get(),
      catalog.getEntities(
        { filter: { kind: 'Component', 'relations.ownedBy': groupRef } },
        { credentials },
      ),
    ]);
    const body: TeamHealth = {
      team: groupRef,
      generatedAt: snapshot.generatedAt,
      entities: owned.items.map(entity => {
        const health = entityHealthOf(snapshot, entity, scope);
        return {
          entityRef: health.entityRef,
          title: entity.metadata.title,
          state: health.state,
          clusters: health.clusters.filter(c => !c.error).length,
        };
      }),
    };
    res.json(body);
  });

  return router;
}
