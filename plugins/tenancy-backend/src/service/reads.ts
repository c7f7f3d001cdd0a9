import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import {
  AuthService,
  BackstageCredentials,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import {
  CompoundEntityRef,
  Entity,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  AWS_ACCOUNT_ID_ANNOTATION,
  AWS_ACCOUNT_RESOURCE_TYPE,
  ClusterDetail,
  EntityHealth,
  FleetResponse,
  tenancyFleetReadPermission,
  tenancyNamespaceReadPermission,
  tenancyTenantReadPermission,
  TeamHealth,
  TenantAccount,
  TenantResponse,
  WorkloadPods,
  WorkloadPodsRequest,
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
import { FleetSnapshotService } from './FleetSnapshotService';
import { WorkloadPodReader } from './pods';
import { tenantAccountOf } from './tenantAccount';

/** What the reads need: the same for the HTTP routes and the actions registry's tools. */
export interface TenancyReadsOptions {
  snapshots: Pick<FleetSnapshotService, 'get'>;
  auth: AuthService;
  userInfo: UserInfoService;
  permissions: PermissionsService;
  catalog: CatalogService;
  /** The rules of the `tenancy-namespace` resource type, to apply conditional decisions. */
  namespaceRules: TenancyNamespaceRuleset;
  /** Reads a workload's pods from its cluster (troubleshooting). */
  pods: Pick<WorkloadPodReader, 'read'>;
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

/**
 * Every read of the Tenancy backend for a caller, with its permission checks
 * made before any remote call. The HTTP routes and the actions registry's
 * tools (MCP) both answer through these, so that they cannot disagree on
 * who may see what.
 */
export function createTenancyReads(options: TenancyReadsOptions) {
  const { snapshots, permissions, catalog, namespaceRules, pods } = options;
  const { allowed, scopeOf } = createAccess(permissions, namespaceRules);

  /** The team, once the caller may see it (a member, or the platform team). */
  const authorizedTeam = async (
    credentials: BackstageCredentials,
    groupRef: string,
  ) => {
    const scope = await scopeOf(credentials);
    await authorizeTenant(options, {
      credentials,
      permission: tenancyTenantReadPermission,
      tenant: groupRef,
    });
    return scope;
  };

  return {
    /** Every cluster of the fleet: the platform team's (tenancy.fleet.read). */
    async fleet(credentials: BackstageCredentials): Promise<FleetResponse> {
      if (!(await allowed(credentials, tenancyFleetReadPermission))) {
        throw new NotAllowedError(
          'The fleet view is for the platform team (tenancy.fleet.read)',
        );
      }
      return fleetView(await snapshots.get());
    },

    /** One cluster with its namespaces: the platform team's. */
    async cluster(
      credentials: BackstageCredentials,
      name: string,
    ): Promise<ClusterDetail> {
      if (!(await allowed(credentials, tenancyFleetReadPermission))) {
        throw new NotAllowedError(
          'Cluster views are for the platform team (tenancy.fleet.read)',
        );
      }
      return clusterView(await snapshots.get(), name);
    },

    /** A team's namespaces on every cluster and its AWS accounts: for its members and the platform team. */
    async tenant(
      credentials: BackstageCredentials,
      groupRef: string,
    ): Promise<TenantResponse> {
      const scope = await authorizedTeam(credentials, groupRef);
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
      return view;
    },

    /** An entity's workload health, within the namespaces the caller may read. */
    async entityHealth(
      credentials: BackstageCredentials,
      ref: CompoundEntityRef,
    ): Promise<EntityHealth> {
      // Read with the caller's own credentials: the catalog's permissions
      // decide whether they may see the entity at all.
      const [entity, scope] = await Promise.all([
        catalog.getEntityByRef(ref, { credentials }),
        scopeOf(credentials),
      ]);
      if (!entity) {
        throw new NotFoundError(`No entity ${stringifyEntityRef(ref)}`);
      }
      return entityHealthOf(await snapshots.get(), entity, scope);
    },

    /** The health of every Component a team owns. */
    async teamHealth(
      credentials: BackstageCredentials,
      groupRef: string,
    ): Promise<TeamHealth> {
      const scope = await authorizedTeam(credentials, groupRef);
      const [snapshot, owned] = await Promise.all([
        snapshots.get(),
        catalog.getEntities(
          { filter: { kind: 'Component', 'relations.ownedBy': groupRef } },
          { credentials },
        ),
      ]);
      return {
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
    },

    /**
     * A workload's pods, containers, events and last log lines, read from its
     * cluster only once the snapshot shows the namespace is the caller's to read.
     */
    async workloadPods(
      credentials: BackstageCredentials,
      request: Required<WorkloadPodsRequest>,
    ): Promise<WorkloadPods> {
      const scope = await scopeOf(credentials);
      // Decided on the snapshot, before any call to the cluster.
      const access = namespaceReadable(
        await snapshots.get(),
        request.cluster,
        request.namespace,
        scope.visible,
      );
      if (access.error) throw clusterUnavailable(access.error, scope.platform);
      if (!access.readable) throw workloadNotFound(request);
      return pods.read(request, {
        detailedErrors: scope.platform,
        visible: scope.visible,
      });
    },
  };
}

/** @see createTenancyReads */
export type TenancyReads = ReturnType<typeof createTenancyReads>;
