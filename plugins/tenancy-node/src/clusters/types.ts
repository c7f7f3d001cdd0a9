import { KubeConfig } from '@kubernetes/client-node';

/**
 * How the backend authenticates to a cluster; the same names as Backstage's
 * Kubernetes plugin uses for `authProvider`.
 * @public
 */
export type TenancyClusterAuthProvider = 'serviceAccount' | 'aws';

/**
 * A tenant cluster known to the portal. Never leaves the backend: it may hold
 * a credential.
 * @public
 */
export interface TenancyCluster {
  /** Unique name, as in `kubernetes.clusterLocatorMethods`. */
  name: string;
  /** The API server's https URL. */
  url: string;
  /** Where it came from: app-config or a catalog Resource of type kubernetes-cluster. */
  source: 'config' | 'catalog';
  /** A cluster from the catalog: the ref of its Resource (`resource:<namespace>/<name>`). */
  entityRef?: string;
  authProvider: TenancyClusterAuthProvider;
  /** Base64 of the CA bundle's PEM; the API server's certificate is verified against it. */
  caData?: string;
  /** Only from config, never from the catalog (untrusted). */
  skipTLSVerify?: boolean;
  /** authProvider serviceAccount: the bearer token (config only). */
  serviceAccountToken?: string;
  /** authProvider aws: the role to assume before signing, and its external id. */
  assumeRole?: string;
  externalId?: string;
  /** authProvider aws: the EKS cluster name put in x-k8s-aws-id (default: name). */
  awsClusterName?: string;
  /** authProvider aws: the region of the STS endpoint (default us-east-1). */
  awsRegion?: string;
}

/**
 * The clusters the portal can reach, and credentials for them.
 * @public
 */
export interface ClusterRegistry {
  /** Every cluster, from config and catalog; catalog clusters with an unsafe URL or annotation are left out and logged. */
  listClusters(): Promise<TenancyCluster[]>;
  /** One cluster by name; NotFoundError when there is none, NotAllowedError for a catalog cluster whose AWS role is not allowed (S40). */
  getCluster(name: string): Promise<TenancyCluster>;
  /** A KubeConfig for the cluster with fresh credentials (EKS tokens expire after 15 minutes). */
  kubeConfig(cluster: TenancyCluster): Promise<KubeConfig>;
}
