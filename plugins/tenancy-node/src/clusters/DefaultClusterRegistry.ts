import { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { Config } from '@backstage/config';
import { TENANCY_CLUSTER_ANNOTATION } from '@tenancy/plugin-tenancy-common';
import {
  ForwardedError,
  InputError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
  toError,
} from '@backstage/errors';
import { AwsCredentialsManager } from '@backstage/integration-aws-node';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { KubeConfig } from '@kubernetes/client-node';
import {
  ALLOWED_ASSUME_ROLES_KEY,
  CATALOG_CLUSTER_FILTER,
  catalogRoleRefusal,
  clusterFromCatalogEntity,
  compileRoleAllowList,
  RoleAllowList,
} from './catalogClusters';
import { readConfigClusters } from './configClusters';
import { DefaultEksTokenProvider, EksTokenProvider } from './EksTokenProvider';
import { makeKubeConfig } from './kubeConfig';
import { ClusterRegistry, TenancyCluster } from './types';

/** @public */
export interface DefaultClusterRegistryOptions {
  logger: LoggerService;
  /** Required when `kubernetes.clusterLocatorMethods` has a `catalog` entry. */
  catalog?: CatalogService;
  /** Required with `catalog`: the catalog is read as this plugin. */
  auth?: AuthService;
  /** For the default EKS token provider; default from the `aws` config. */
  awsCredentialsManager?: AwsCredentialsManager;
  /** Default: {@link DefaultEksTokenProvider} from config. */
  eksTokenProvider?: EksTokenProvider;
}

/** How long the catalog's clusters are reused before the catalog is asked again. */
const CATALOG_TTL_MS = 30_000;
const KUBECONFIG_USER = 'tenancy-backend';
const MAX_NAME_IN_MESSAGE = 100;

interface CatalogSource {
  catalog: CatalogService;
  auth: AuthService;
  /** The roles catalog clusters may have the portal assume. */
  allowRole: RoleAllowList;
}

interface CatalogSnapshot {
  clusters: TenancyCluster[];
  /** Cluster name → why config does not allow its entity (role allow-list). */
  notAllowed: Map<string, string>;
  fetchedAt: number;
  /** Set when the last read failed; `clusters` are then the previous ones. */
  error?: Error;
}

/**
 * The clusters of `kubernetes.clusterLocatorMethods`, read the way Backstage's
 * Kubernetes plugin reads them: `config` entries (trusted) and the `catalog`
 * entry (Resources of type kubernetes-cluster, untrusted: unsafe URLs and
 * token or skip-TLS annotations are refused; the AWS roles they name are
 * assumed only when `tenancy.clusters.catalog.allowedAssumeRoles` allows
 * them). Other locator types and auth providers are skipped with a
 * warning.
 *
 * @public
 */
export class DefaultClusterRegistry implements ClusterRegistry {
  static fromConfig(
    config: Config,
    options: DefaultClusterRegistryOptions,
  ): DefaultClusterRegistry {
    const { logger } = options;
    const configClusters: TenancyCluster[] = [];
    let catalogSource: CatalogSource | undefined;
    // Read even without a catalog locator, so a malformed entry fails early.
    const allowRole = compileRoleAllowList(
      config.getOptionalStringArray(ALLOWED_ASSUME_ROLES_KEY) ?? [],
    );

    const locators =
      config.getOptionalConfigArray('kubernetes.clusterLocatorMethods') ?? [];
    locators.forEach((locator, index) => {
      const type = locator.getString('type');
      switch (type) {
        case 'config':
          for (const cluster of readConfigClusters(locator, index, logger)) {
            if (configClusters.some(c => c.name === cluster.name)) {
              throw new Error(
                `Duplicate cluster name '${cluster.name}' in kubernetes.clusterLocatorMethods`,
              );
            }
            configClusters.push(cluster);
          }
          break;
        case 'catalog':
          if (!options.catalog || !options.auth) {
            throw new Error(
              'kubernetes.clusterLocatorMethods has a catalog entry, but the cluster registry was created without the catalog and auth services',
            );
          }
          if (locator.getOptionalBoolean('dangerouslyAllowSkipTLSVerify')) {
            logger.warn(
              'kubernetes.clusterLocatorMethods: dangerouslyAllowSkipTLSVerify is ignored by Tenancy; TLS is always verified for clusters from the catalog',
            );
          }
          if (locator.has('dangerouslyAllowClusterUrls')) {
            logger.warn(
              'kubernetes.clusterLocatorMethods: dangerouslyAllowClusterUrls is ignored by Tenancy; clusters from the catalog must pass its checks',
            );
          }
          catalogSource = {
            catalog: options.catalog,
            auth: options.auth,
            allowRole,
          };
          break;
        default:
          logger.warn(
            `Skipping kubernetes.clusterLocatorMethods[${index}]: type '${type}' is not supported by Tenancy (supported: config, catalog)`,
          );
      }
    });

    return new DefaultClusterRegistry(
      configClusters,
      catalogSource,
      logger,
      () =>
        options.eksTokenProvider ??
        DefaultEksTokenProvider.fromConfig(config, {
          awsCredentialsManager: options.awsCredentialsManager,
        }),
    );
  }

  /**
   * Tokens of config clusters, for copies that lost theirs; only given back
   * for the URL they were configured for.
   */
  private readonly configTokens = new Map<
    string,
    { url: string; token: string }
  >();
  private readonly warned = new Set<string>();
  private snapshot?: CatalogSnapshot;
  private refreshing?: Promise<CatalogSnapshot>;
  private eksTokenProvider?: EksTokenProvider;

  private constructor(
    private readonly configClusters: TenancyCluster[],
    private readonly catalogSource: CatalogSource | undefined,
    private readonly logger: LoggerService,
    private readonly makeEksTokenProvider: () => EksTokenProvider,
  ) {
    for (const cluster of configClusters) {
      if (cluster.serviceAccountToken) {
        this.configTokens.set(cluster.name, {
          url: cluster.url,
          token: cluster.serviceAccountToken,
        });
      }
    }
  }

  async listClusters(): Promise<TenancyCluster[]> {
    const { clusters } = await this.catalogClusters();
    const result = this.configClusters.map(publicCopy);
    for (const cluster of clusters) {
      // readCatalog() already left out names the catalog has twice.
      if (result.some(c => c.name === cluster.name)) {
        this.warnOnce(
          `Cluster '${cluster.name}' from the catalog is left out: app-config has a cluster of that name, which wins`,
        );
        continue;
      }
      result.push(publicCopy(cluster));
    }
    return result;
  }

  async getCluster(name: string): Promise<TenancyCluster> {
    const clusters = await this.listClusters();
    const cluster = clusters.find(c => c.name === name);
    if (cluster) return cluster;
    const notAllowed = this.snapshot?.notAllowed.get(name);
    if (notAllowed) throw new NotAllowedError(notAllowed);
    const shown =
      name.length > MAX_NAME_IN_MESSAGE
        ? `${name.slice(0, MAX_NAME_IN_MESSAGE)}…`
        : name;
    if (this.snapshot?.error) {
      throw new ServiceUnavailableError(
        `No cluster named '${shown}' among ${describe(
          clusters,
        )}; the catalog's clusters could not be read, so it may be one of them`,
      );
    }
    throw new NotFoundError(
      `No cluster named '${shown}'; known clusters: ${describe(clusters)}`,
    );
  }

  async kubeConfig(cluster: TenancyCluster): Promise<KubeConfig> {
    let token: string | undefined;
    if (cluster.authProvider === 'serviceAccount') {
      const configured = this.configTokens.get(cluster.name);
      token =
        cluster.serviceAccountToken ??
        (cluster.source === 'config' && configured?.url === cluster.url
          ? configured.token
          : undefined);
      if (!token) {
        throw new InputError(
          `Cluster '${cluster.name}' uses the serviceAccount auth provider but has no serviceAccountToken`,
        );
      }
    } else if (cluster.authProvider === 'aws') {
      // Again here, for a cluster object that did not come from readCatalog()
      // as it is: nothing reaches STS with a role config does not allow.
      const refusal =
        cluster.source === 'catalog' &&
        catalogRoleRefusal(
          cluster,
          this.catalogSource?.allowRole ?? (() => false),
        );
      if (refusal) {
        throw new NotAllowedError(
          `Cluster '${cluster.name}' from the catalog is refused: ${refusal}`,
        );
      }
      this.eksTokenProvider ??= this.makeEksTokenProvider();
      try {
        token = await this.eksTokenProvider.getToken({
          clusterName: cluster.awsClusterName ?? cluster.name,
          region: cluster.awsRegion,
          assumeRole: cluster.assumeRole,
          externalId: cluster.externalId,
        });
      } catch (error) {
        throw new ForwardedError(
          `Could not make an EKS token for cluster '${cluster.name}'`,
          error,
        );
      }
    } else {
      throw new InputError(
        `Cluster '${cluster.name}' has an unsupported auth provider`,
      );
    }

    return makeKubeConfig({
      name: cluster.name,
      server: cluster.url,
      caData: cluster.caData,
      // Never from the catalog, whatever the object says: whoever can
      // register an entity must not be able to turn verification off.
      skipTLSVerify:
        cluster.source === 'config' && cluster.skipTLSVerify === true,
      user: KUBECONFIG_USER,
      token,
      context: cluster.name,
    });
  }

  private async catalogClusters(): Promise<{ clusters: TenancyCluster[] }> {
    const source = this.catalogSource;
    if (!source) return { clusters: [] };
    const snapshot = this.snapshot;
    if (snapshot && Date.now() - snapshot.fetchedAt < CATALOG_TTL_MS) {
      return snapshot;
    }
    this.refreshing ??= this.readCatalog(source).finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async readCatalog({
    catalog,
    auth,
    allowRole,
  }: CatalogSource): Promise<CatalogSnapshot> {
    try {
      const { items } = await catalog.getEntities(
        { filter: CATALOG_CLUSTER_FILTER },
        { credentials: await auth.getOwnServiceCredentials() },
      );
      const clusters: TenancyCluster[] = [];
      const notAllowed = new Map<string, string>();
      for (const entity of items) {
        // The suite's own catalog module lists the clusters it already
        // knows; those entities hold no address and are not cluster sources.
        if (entity.metadata.annotations?.[TENANCY_CLUSTER_ANNOTATION]) continue;
        const ref = stringifyEntityRef(entity);
        const result = clusterFromCatalogEntity(entity, allowRole);
        if ('refused' in result) {
          this.warnOnce(
            `Ignoring kubernetes-cluster Resource ${ref}: ${result.refused}`,
          );
          if (result.notAllowed && !notAllowed.has(entity.metadata.name)) {
            notAllowed.set(
              entity.metadata.name,
              `Cluster '${entity.metadata.name}' from the catalog is refused: kubernetes-cluster Resource ${ref}: ${result.refused}`,
            );
          }
          continue;
        }
        for (const note of result.notes) {
          this.warnOnce(`kubernetes-cluster Resource ${ref}: ${note}`);
        }
        if (clusters.some(c => c.name === result.cluster.name)) {
          this.warnOnce(
            `Ignoring kubernetes-cluster Resource ${ref}: another catalog entity has the name '${result.cluster.name}'`,
          );
          continue;
        }
        clusters.push(result.cluster);
      }
      this.snapshot = { clusters, notAllowed, fetchedAt: Date.now() };
    } catch (e) {
      const error = toError(e);
      this.logger.warn(
        `Could not read clusters from the catalog; ${
          this.snapshot ? 'using the previous list' : 'using app-config only'
        }: ${error.name}: ${error.message}`,
      );
      this.snapshot = {
        clusters: this.snapshot?.clusters ?? [],
        notAllowed: this.snapshot?.notAllowed ?? new Map(),
        fetchedAt: Date.now(),
        error,
      };
    }
    return this.snapshot;
  }

  /** The catalog is read every 30 s; say each thing about it once. */
  private warnOnce(message: string) {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.logger.warn(message);
  }
}

/**
 * A copy for callers: the token is there to read, but not enumerable, so a
 * cluster serialized into a response or a log line does not carry it (S5).
 */
function publicCopy(cluster: TenancyCluster): TenancyCluster {
  const { serviceAccountToken, ...rest } = cluster;
  const copy: TenancyCluster = { ...rest };
  if (serviceAccountToken) {
    Object.defineProperty(copy, 'serviceAccountToken', {
      value: serviceAccountToken,
      enumerable: false,
    });
  }
  return copy;
}

function describe(clusters: TenancyCluster[]): string {
  return clusters.length ? clusters.map(c => c.name).join(', ') : '(none)';
}
