import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import {
  AuthService,
  BackstageCredentials,
  HttpAuthService,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import {
  Entity,
  makeValidator,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  AWS_ACCOUNT_ID_ANNOTATION,
  AWS_ACCOUNT_RESOURCE_TYPE,
  EntityHealth,
  tenancyFleetReadPermission,
  tenancyNamespaceReadPermission,
  tenancyTenantReadPermission,
  TeamHealth,
  TenantAccount,
  workloadSelectorOf,
} from '@tenancy/plugin-tenancy-common';
import {
  authorizeTenant,
  namespaceMatches,
  TenancyNamespaceResource,
  TenancyNamespaceRuleset,
} from '@tenancy/plugin-tenancy-node';
import {
  clusterUnavailable,
  clusterView,
  entityHealth,
  fleetView,
  FleetSnapshot,
  namespaceReadable,
  redactClusterError,
  tenantView,
  workloadNotFound,
} from '../fleet';
import express from 'express';
import Router from 'express-promise-router';
import { FleetSnapshotService } from './FleetSnapshotService';
import { tailLinesOf, workloadKindOf, WorkloadPodReader } from './pods';
import { tenantAccountOf } from './tenantAccount';

/** @public */
export interface RouterOptions {
  snapshots: Pick<FleetSnapshotService, 'get'>;
  httpAuth: HttpAuthService;
  auth: AuthService;
  userInfo: UserInfoService;
  permissions: PermissionsService;
  catalog: CatalogService;
  /** The rules of the `tenancy-namespace` resource type, to apply conditional decisions. */
  namespaceRules: TenancyNamespaceRuleset;
  /** Reads a workload's pods from its cluster (the troubleshooting route). */
  pods: Pick<WorkloadPodReader, 'read'>;
}

const validators = makeValidator();

// Entity ref parts as the catalog validates them, and cluster names as
// Kubernetes allows names: anything else is a 400 before any work.
const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;
// A Deployment's or StatefulSet's name: a DNS-1123 subdomain.
const OBJECT_NAME = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;
const PARTS = {
  kind: (v: string) => validators.isValidKind(v),
  namespace: (v: string) => validators.isValidNamespace(v),
  name: (v: string) => validators.isValidEntityName(v),
  cluster: (v: string) => CLUSTER_NAME.test(v),
  workload: (v: string) => OBJECT_NAME.test(v),
};
const HINTS: Partial<Record<keyof typeof PARTS, string>> = {
  workload:
    "a Kubernetes object name is lower-case letters, digits, '-' and '.'",
};

function param(
  value: string,
  what: keyof typeof PARTS,
  label: string = what,
): string {
  if (!PARTS[what](value)) {
    throw new InputError(
      `Invalid ${label} "${value.slice(0, 40)}${
        value.length > 40 ? '…' : ''
      }": ${
        HINTS[what] ??
        "see Backstage's entity naming rules (letters, digits, '.', '_' or '-')"
      }`,
    );
  }
  return value;
}

/**
 * What the caller may read, as the permission policy decides it for
 * `tenancy.namespace.read`: every namespace (the platform team's ALLOW),
 * none (DENY), or those meeting the policy's conditions — the shipped
 * policy's `IS_TENANT_MEMBER` with the caller's teams. Only holders of
 * tenancy.fleet.read (`platform`) are told why a cluster could not be read:
 * an error can name hosts and accounts of the fleet.
 */
type Scope = {
  platform: boolean;
  visible?: (namespace: TenancyNamespaceResource) => boolean;
};

/** The permission checks of every route. */
function createAccess(
  permissions: PermissionsService,
  namespaceRules: TenancyNamespaceRuleset,
) {
  const allowed = async (
    credentials: BackstageCredentials,
    permission: typeof tenancyFleetReadPermission,
  ) => {
    const [decision] = await permissions.authorize([{ permission }], {
      credentials,
    });
    return decision.result === AuthorizeResult.ALLOW;
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
  return { allowed, scopeOf };
}

/** An entity's workload health, within what the caller may read. */
function entityHealthOf(
  snapshot: FleetSnapshot,
  entity: Entity,
  scope: Scope,
): EntityHealth {
  const ref = stringifyEntityRef(entity);
  const selector = workloadSelectorOf(entity);
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
  // workloads shows nothing of them.
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
}

/** @public */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { snapshots, httpAuth, permissions, catalog, namespaceRules, pods } =
    options;
  const router = Router();
  router.use(express.json());

  const { allowed, scopeOf } = createAccess(permissions, namespaceRules);

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
    const name = param(req.params.name, 'cluster', 'cluster name');
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
      name: param(req.params.name, 'name', 'group name'),
    });
    const credentials = await httpAuth.credentials(req);
    const scope = await scopeOf(credentials);
    await authorizeTenant(options, {
      credentials,
      permission: tenancyTenantReadPermission,
      tenant: groupRef,
    });
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
            'spec.type': AWS_ACCOUNT_RESOURCE_TYPE,
            // cloud-account is Backstage's type for any cloud's accounts.
            [`metadata.annotations.${AWS_ACCOUNT_ID_ANNOTATION}`]:
              CATALOG_FILTER_EXISTS,
            'relations.ownedBy': groupRef,
          },
        },
        { credentials },
      ),
    ]);
    const accounts: TenantAccount[] = resources.items.map(tenantAccountOf);
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
      kind: param(req.params.kind, 'kind'),
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

  router.get(
    '/clusters/:cluster/namespaces/:namespace/:kind/:name/pods',
    async (req, res) => {
      const request = {
        cluster: param(req.params.cluster, 'cluster', 'cluster name'),
        namespace: param(req.params.namespace, 'namespace'),
        kind: workloadKindOf(req.params.kind),
        name: param(req.params.name, 'workload', 'workload name'),
        tailLines: tailLinesOf(req.query.tailLines),
      };
      const scope = await scopeOf(await httpAuth.credentials(req));
      // Decided on the snapshot, before any call to the cluster.
      const access = namespaceReadable(
        await snapshots.get(),
        request.cluster,
        request.namespace,
        scope.visible,
      );
      if (access.error) throw clusterUnavailable(access.error, scope.platform);
      if (!access.readable) throw workloadNotFound(request);
      res.json(
        await pods.read(request, {
          detailedErrors: scope.platform,
          visible: scope.visible,
        }),
      );
    },
  );

  return router;
}
