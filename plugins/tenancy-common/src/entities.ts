import { Entity } from '@backstage/catalog-model';

/**
 * The annotations Backstage's Kubernetes plugin finds a Component's
 * workloads by; the suite reads the same ones, so that a Component shows
 * the same workloads on both.
 * @public
 */
export const KUBERNETES_ID_ANNOTATION = 'backstage.io/kubernetes-id';
/** @public */
export const KUBERNETES_LABEL_SELECTOR_ANNOTATION =
  'backstage.io/kubernetes-label-selector';
/** @public */
export const KUBERNETES_NAMESPACE_ANNOTATION =
  'backstage.io/kubernetes-namespace';

/** The `spec.type` of the catalog Resources that stand for AWS accounts. @public */
export const AWS_ACCOUNT_RESOURCE_TYPE = 'cloud-account';

/** The `spec.type` of the catalog Resources that stand for Kubernetes clusters (as Backstage's catalog cluster locator names them). @public */
export const KUBERNETES_CLUSTER_RESOURCE_TYPE = 'kubernetes-cluster';

/**
 * The `spec.type` of the catalog Resources that stand for a tenant's
 * namespace in one environment (on each of the environment's clusters).
 * @public
 */
export const KUBERNETES_NAMESPACE_RESOURCE_TYPE = 'kubernetes-namespace';

/** Annotation on a namespace Resource: the Kubernetes namespace's name. @public */
export const TENANCY_NAMESPACE_ANNOTATION = 'tenancy.dev/namespace';

/** Annotation on namespace and cluster Resources: the environment. @public */
export const TENANCY_ENVIRONMENT_ANNOTATION = 'tenancy.dev/environment';

/** Annotation on a namespace Resource: the clusters it is on, comma-separated. @public */
export const TENANCY_CLUSTERS_ANNOTATION = 'tenancy.dev/clusters';

/** Annotation on a cluster Resource: the cluster's name in the portal's config. @public */
export const TENANCY_CLUSTER_ANNOTATION = 'tenancy.dev/cluster';

/** Annotation with an AWS account's id, as Backstage's AWS plugins name it. @public */
export const AWS_ACCOUNT_ID_ANNOTATION = 'amazonaws.com/account-id';

/**
 * Which workloads belong to an entity: the labels they carry and,
 * optionally, the one namespace they are in.
 * @public
 */
export interface WorkloadSelector {
  labels: Record<string, string>;
  namespace?: string;
}

/**
 * The workloads an entity's annotations point at — `kubernetes-id` (label
 * `backstage.io/kubernetes-id=<id>`) or else `kubernetes-label-selector`
 * (equality terms `k=v,k2=v2` only) — or undefined when it has neither or
 * the selector is not one the suite can match.
 * @public
 */
export function workloadSelectorOf(
  entity: Pick<Entity, 'metadata'>,
): WorkloadSelector | undefined {
  const annotations = entity.metadata.annotations ?? {};
  const namespace = annotations[KUBERNETES_NAMESPACE_ANNOTATION];
  const id = annotations[KUBERNETES_ID_ANNOTATION];
  if (id) return { labels: { [KUBERNETES_ID_ANNOTATION]: id }, namespace };
  const selector = annotations[KUBERNETES_LABEL_SELECTOR_ANNOTATION];
  if (!selector) return undefined;
  const labels: Record<string, string> = {};
  for (const part of selector.split(',')) {
    const [key, value] = part.split('=').map(s => s.trim());
    if (!key || value === undefined) return undefined;
    labels[key] = value;
  }
  return { labels, namespace };
}

/**
 * Whether the suite shows workload health for an entity: a Component whose
 * annotations select workloads ({@link workloadSelectorOf}). The frontend's
 * Health tab and card appear exactly for these.
 * @public
 */
export function hasKubernetesWorkloads(
  entity: Pick<Entity, 'kind' | 'metadata'>,
): boolean {
  return (
    entity.kind.toLocaleLowerCase('en-US') === 'component' &&
    workloadSelectorOf(entity) !== undefined
  );
}
