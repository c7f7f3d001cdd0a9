import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  VersionApi,
} from '@kubernetes/client-node';
import {
  ENVIRONMENT_LABEL,
  KUBERNETES_ID_ANNOTATION,
  TENANT_LABEL,
  tenantOfNamespace,
} from '@tenancy/plugin-tenancy-common';
import { listAll, withAbortSignal } from '@tenancy/plugin-tenancy-node';

/**
 * What the catalog needs of one cluster — names and owners, never a
 * credential, a URL or anything read from inside a namespace but the
 * `backstage.io/kubernetes-id` label of its workloads. Small enough to keep
 * for every cluster in the shared cache.
 */
export interface ClusterListing {
  cluster: string;
  /** The API server's gitVersion, e.g. v1.34.1. */
  version?: string;
  /** Tenant namespaces (those with an owner), except ones being deleted. */
  namespaces: Array<{ name: string; environment?: string; owner: string }>;
  /** The `backstage.io/kubernetes-id` of each Deployment and StatefulSet, by namespace. */
  workloads: Array<{ namespace: string; id: string }>;
}

/**
 * The owner as a full group entity ref (`team-x` and `group:team-x` are
 * `group:default/team-x`), or undefined when it is not a group's ref.
 */
function groupRefOf(owner: string): string | undefined {
  try {
    const ref = parseEntityRef(owner, {
      defaultKind: 'group',
      defaultNamespace: 'default',
    });
    return ref.kind.toLocaleLowerCase('en-US') === 'group'
      ? stringifyEntityRef(ref)
      : undefined;
  } catch {
    return undefined;
  }
}

/** How one cluster is listed. */
export interface ListingOptions {
  /** The whole listing of one cluster is abandoned after this long. */
  timeoutMs: number;
  /** Page size of list calls. */
  pageSize: number;
  /** Counts every request made to the cluster (tests and the bench). */
  onRequest?: () => void;
  /**
   * The cluster's tenant namespaces when they are known to be current (its
   * namespace watch saw no change since they were listed): they are not
   * listed again, only the version and the workloads are.
   */
  namespaces?: ClusterListing['namespaces'];
}

/**
 * Lists one cluster's tenant namespaces and labelled workloads: three list
 * calls (paged) and a version call, under one deadline (two list calls when
 * the namespaces are given). Throws when the
 * cluster does not answer in full — a partial list would read as deleted
 * namespaces.
 */
export async function listCluster(
  kc: KubeConfig,
  cluster: string,
  options: ListingOptions,
): Promise<ClusterListing> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), options.timeoutMs);
  try {
    const client = withAbortSignal(kc, abort.signal, options.onRequest);
    const core = client.makeApiClient(CoreV1Api);
    const apps = client.makeApiClient(AppsV1Api);
    const limit = options.pageSize;
    const labelled = { labelSelector: KUBERNETES_ID_ANNOTATION, limit };
    const [version, namespaces, deployments, statefulSets] = await Promise.all([
      client.makeApiClient(VersionApi).getCode(),
      options.namespaces
        ? undefined
        : listAll(t =>
            core.listNamespace({
              labelSelector: TENANT_LABEL,
              limit,
              _continue: t,
            }),
          ),
      listAll(t =>
        apps.listDeploymentForAllNamespaces({ ...labelled, _continue: t }),
      ),
      listAll(t =>
        apps.listStatefulSetForAllNamespaces({ ...labelled, _continue: t }),
      ),
    ]);
    const tenantNamespaces: ClusterListing['namespaces'] = [];
    for (const ns of namespaces ?? []) {
      if (ns.status?.phase === 'Terminating' || ns.metadata?.deletionTimestamp)
        continue;
      const labels = ns.metadata?.labels ?? {};
      const tenant = tenantOfNamespace({
        labels,
        annotations: ns.metadata?.annotations ?? {},
      });
      const owner = tenant && groupRefOf(tenant);
      if (!owner || !ns.metadata?.name) continue;
      tenantNamespaces.push({
        name: ns.metadata.name,
        environment: labels[ENVIRONMENT_LABEL] || undefined,
        owner,
      });
    }
    const workloads = [...deployments, ...statefulSets].flatMap(w => {
      const id = w.metadata?.labels?.[KUBERNETES_ID_ANNOTATION];
      const namespace = w.metadata?.namespace;
      return id && namespace ? [{ namespace, id }] : [];
    });
    return {
      cluster,
      version: version.gitVersion,
      namespaces: options.namespaces ?? tenantNamespaces,
      workloads,
    };
  } catch (error) {
    const timedOut = abort.signal.aborted;
    // The other lists of this cluster are of no use any more.
    abort.abort();
    if (timedOut) {
      throw new Error(`No complete answer within ${options.timeoutMs} ms`);
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
