import {
  AuthService,
  BackstageCredentials,
  BackstageUserPrincipal,
  DiscoveryService,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  parseEntityRef,
  RELATION_MEMBER_OF,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { Config } from '@backstage/config';
import {
  isError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  ClusterAccessContext,
  ClusterAccessResponse,
  ClusterTokenResponse,
  tenancyClusterAccessPermission,
  tenantOfNamespace,
} from '@tenancy/plugin-tenancy-common';
import {
  ClusterRegistry,
  groupSubject,
  readBaselineOptions,
} from '@tenancy/plugin-tenancy-node';
import type { FleetSnapshotService } from '../service/FleetSnapshotService';
import type { TenancyReads } from '../service/reads';
import { ClusterTokenIssuer } from './issuer';
import { renderKubeconfig } from './kubeconfig';
import { readClusterAccessOptions } from './options';

export interface ClusterAccessServiceOptions {
  config: Config;
  logger: LoggerService;
  auth: AuthService;
  permissions: PermissionsService;
  catalog: CatalogService;
  /** Where people reach the portal's backend: what the credential plugin calls. */
  discovery: DiscoveryService;
  registry: Pick<ClusterRegistry, 'listClusters' | 'getCluster'>;
  /** Which teams are tenants of which cluster. */
  snapshots: Pick<FleetSnapshotService, 'get'>;
  reads: Pick<TenancyReads, 'tenant'>;
}

export const NOT_CONFIGURED =
  'This portal does not sign people in to clusters: tenancy.clusterAccess is not configured (see the Tenancy docs, "kubectl as yourself").';

/**
 * Cluster sign-in: tokens for a person on one cluster, with their teams as
 * groups, and the kubeconfig of a team's namespaces.
 */
export function createClusterAccess(options: ClusterAccessServiceOptions) {
  const {
    config,
    logger,
    auth,
    permissions,
    catalog,
    registry,
    reads,
    snapshots,
  } = options;
  const normalize = (ref: string) => ref.toLocaleLowerCase('en-US');
  const access = readClusterAccessOptions(config);
  const issuer = access && new ClusterTokenIssuer(access);
  const baseline = readBaselineOptions(config);

  const authorize = async (credentials: BackstageCredentials) => {
    const [decision] = await permissions.authorize(
      [{ permission: tenancyClusterAccessPermission }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        'You may not sign in to clusters through this portal (tenancy.cluster.access)',
      );
    }
  };

  /**
   * The person's teams as Kubernetes groups, from the catalog as it is now
   * (not as it was when they signed in to the portal): leaving a team takes
   * the group away at the next token. Only teams that are tenants of this
   * cluster (own a namespace on it, in the fleet snapshot) become groups:
   * any other catalog group — an identity provider's `cluster-admins`, a
   * group of another catalog namespace with a tenant's name — could match
   * some existing ClusterRoleBinding, and is left out. Never a `system:`
   * group, whatever `groupSubjectTemplate` says.
   */
  const groupsOf = async (
    userRef: string,
    cluster: string,
  ): Promise<string[]> => {
    const user = await catalog.getEntityByRef(userRef, {
      credentials: await auth.getOwnServiceCredentials(),
    });
    if (!user) {
      throw new NotAllowedError(
        `${userRef} is not in the catalog: only catalog users get cluster tokens`,
      );
    }
    const snapshot = await snapshots.get();
    const tenants = new Set(
      (snapshot.clusters.find(c => c.name === cluster)?.namespaces ?? [])
        .map(ns => tenantOfNamespace(ns))
        .filter((t): t is string => Boolean(t))
        .map(normalize),
    );
    // Each tenant's group as its RoleBindings name it. A group two tenants
    // of this cluster would share (same-named teams of two catalog
    // namespaces, under a template without {namespace}, their namespaces
    // made outside the portal, which refuses that) reaches both teams'
    // namespaces: it is given to no one.
    const subjects = new Map<string, Set<string>>();
    for (const tenant of tenants) {
      const subject = groupSubject(
        parseEntityRef(tenant),
        baseline.groupSubjectTemplate,
      );
      subjects.set(subject, (subjects.get(subject) ?? new Set()).add(tenant));
    }
    const groups = (user.relations ?? [])
      .filter(r => r.type === RELATION_MEMBER_OF)
      .map(r => parseEntityRef(r.targetRef))
      .filter(ref => ref.kind.toLocaleLowerCase('en-US') === 'group')
      .filter(ref => tenants.has(normalize(stringifyEntityRef(ref))))
      .map(ref => groupSubject(ref, baseline.groupSubjectTemplate))
      .filter(group => {
        if ((subjects.get(group)?.size ?? 0) <= 1) return true;
        logger.warn(
          `Cluster ${cluster}: the Kubernetes group "${group}" is that of several tenants (${[
            ...subjects.get(group)!,
          ]
            .sort()
            .join(
              ', ',
            )}); it is left out of every token until tenancy.baseline.groupSubjectTemplate has {namespace} or one of them leaves`,
        );
        return false;
      })
      .filter(group => !group.toLocaleLowerCase('en-US').startsWith('system:'));
    return [...new Set(groups)].sort();
  };

  return {
    issuer,

    /** A token for `cluster` as the signed-in person. */
    async token(
      credentials: BackstageCredentials<BackstageUserPrincipal>,
      cluster: string,
    ): Promise<ClusterTokenResponse> {
      if (!issuer) throw new NotFoundError(NOT_CONFIGURED);
      // A person's own sign-in only: not a plugin (or a scaffolder step)
      // holding a token on someone's behalf.
      if (credentials.principal.actor) {
        throw new NotAllowedError(
          'Cluster tokens are for people themselves, not for a service acting for them',
        );
      }
      // Before anything else: the permission, then that the cluster exists.
      await authorize(credentials);
      await registry.getCluster(cluster).catch(error => {
        // The registry's messages name every known cluster, or a refused
        // catalog cluster's entity and AWS role: not for everyone who may
        // sign in (the portal's logs have them).
        logger.info(
          `No cluster token for ${cluster}: ${
            isError(error) ? error.message : String(error)
          }`,
        );
        if (error instanceof NotFoundError || error instanceof NotAllowedError)
          throw new NotFoundError(
            `No cluster named '${cluster}' to sign in to`,
          );
        throw new ServiceUnavailableError(
          `Cluster '${cluster}' cannot be reached through the portal right now; try again later`,
        );
      });
      const user = credentials.principal.userEntityRef;
      const groups = await groupsOf(user, cluster);
      const { token, expiresAt, id } = await issuer.issue({
        user,
        groups,
        cluster,
      });
      return {
        token,
        id,
        expirationTimestamp: expiresAt.toISOString(),
        cluster,
        user,
        groups,
      };
    },

    /** The kubeconfig of a team's namespaces, for its members and the platform team. */
    async kubeconfig(
      credentials: BackstageCredentials,
      groupRef: string,
      filter: { clusters?: string[]; namespace?: string } = {},
    ): Promise<ClusterAccessResponse> {
      await authorize(credentials);
      // Reads the team's namespaces with its own permission check (a member
      // of the team or the platform team) before anything else is told.
      const tenant = await reads.tenant(credentials, groupRef);
      if (!access) return { configured: false, message: NOT_CONFIGURED };
      const clusters = await registry.listClusters();
      const contexts: ClusterAccessContext[] = tenant.namespaces
        .filter(ns => !filter.clusters || filter.clusters.includes(ns.cluster))
        .filter(ns => !filter.namespace || ns.name === filter.namespace)
        .flatMap(ns => {
          const cluster = clusters.find(c => c.name === ns.cluster);
          if (!cluster) return [];
          return [
            {
              name: `${ns.cluster}/${ns.name}`,
              cluster: ns.cluster,
              environment: ns.environment,
              namespace: ns.name,
              server: cluster.url,
            },
          ];
        })
        .sort((a, b) => a.name.localeCompare(b.name));
      // The backend's external URL, as Backstage's discovery gives it.
      const portalUrl = (
        await options.discovery.getExternalBaseUrl('tenancy')
      ).replace(/\/api\/tenancy\/?$/, '');
      const installCommand = access.installCommand
        .replace(/\{portal\}/g, portalUrl)
        .replace(/\{team\}/g, groupRef);
      const kubeconfig = renderKubeconfig(
        // Never the portal's own skipTLSVerify: a person's token is not
        // sent to a server nobody verified.
        clusters.map(c => ({ name: c.name, server: c.url, caData: c.caData })),
        contexts,
        {
          command: access.command,
          portalUrl,
          installHint: `Install the Tenancy credential plugin: ${installCommand}`,
        },
      );
      return {
        configured: true,
        team: groupRef,
        kubeconfig,
        fileName: fileNameOf(groupRef),
        contexts,
        installCommand,
        issuer: access.issuer,
        clusterErrors: tenant.clusterErrors,
      };
    },
  };
}

export type ClusterAccess = ReturnType<typeof createClusterAccess>;

/**
 * `tenancy-<team>.yaml`; for a team of another catalog namespace
 * `tenancy_<namespace>_<team>.yaml`. Catalog namespaces have no `_` and a
 * default team's file never starts with `tenancy_`, so no two teams share a
 * file name.
 */
function fileNameOf(groupRef: string): string {
  const { namespace, name } = parseEntityRef(groupRef);
  return namespace === 'default'
    ? `tenancy-${name}.yaml`
    : `tenancy_${namespace}_${name}.yaml`;
}
