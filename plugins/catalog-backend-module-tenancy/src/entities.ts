import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
  Entity,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  ENVIRONMENT_LABEL,
  KUBERNETES_CLUSTER_RESOURCE_TYPE,
  KUBERNETES_NAMESPACE_ANNOTATION,
  KUBERNETES_NAMESPACE_RESOURCE_TYPE,
  TENANCY_CLUSTER_ANNOTATION,
  TENANCY_CLUSTERS_ANNOTATION,
  TENANCY_ENVIRONMENT_ANNOTATION,
  TENANCY_NAMESPACE_ANNOTATION,
} from '@tenancy/plugin-tenancy-common';
import { createHash } from 'node:crypto';
import { ClusterListing } from './listing';

/** The provider's name; also the type of its entities' location annotations. */
export const PROVIDER_NAME = 'tenancy-kubernetes';

/** Annotation on a cluster Resource: the API server's version. */
export const KUBERNETES_VERSION_ANNOTATION = 'tenancy.dev/kubernetes-version';

/** What the provider knows of one cluster besides its listing. */
export interface ClusterFacts {
  name: string;
  environment?: string;
  /** Clusters that came from the catalog are already entities there. */
  fromCatalog: boolean;
  /** A cluster from the catalog: the ref of its Resource, which namespaces depend on. */
  entityRef?: string;
}

/** An entity with where it comes from, as the provider hands it to the catalog. */
export interface ProvidedEntity {
  entity: Entity;
  locationKey: string;
  /** Changes whenever the entity does: what delta mutations compare. */
  fingerprint: string;
  /** The clusters it stands for or is on. */
  clusters: string[];
}

/** Which namespace Resources the workloads with a `backstage.io/kubernetes-id` run in. @public */
export type WorkloadIndex = Record<
  string,
  Array<{ ref: string; namespace: string; owner: string }>
>;

export interface CatalogModel {
  entities: Map<string, ProvidedEntity>;
  workloads: WorkloadIndex;
  /** Namespaces claimed by different owners on different clusters. */
  conflicts: string[];
}

const MAX_NAME = 63;
/** The longest environment part of a namespace entity's name that had to be shortened. */
const MAX_ENVIRONMENT = 30;

const clean = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');

/**
 * A valid entity name (lowercase, [a-z0-9-.], at most `max` characters) from
 * `text`, followed by `suffix` (kept whole; at most `max` - 9 characters).
 * Text that had to be changed or shortened gets a hash of the original,
 * which keeps different inputs apart.
 */
function entityName(text: string, suffix = '', max = MAX_NAME): string {
  const cleaned = clean(text);
  if (cleaned && cleaned === text && (text + suffix).length <= max) {
    return text + suffix;
  }
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 8);
  const room = max - suffix.length - hash.length - 1;
  const head = cleaned.slice(0, Math.max(room, 0)).replace(/[^a-z0-9]+$/, '');
  return `${head ? `${head}-` : 'x'}${hash}${suffix}`;
}

/** The entity name of a tenant namespace in one environment: `<namespace>.<environment>`. @public */
export function namespaceEntityName(
  namespace: string,
  environment: string,
): string {
  const name = entityName(namespace, `.${entityName(environment)}`);
  if (name.length <= MAX_NAME) return name;
  // An environment too long to leave room for the namespace (a label value
  // or a cluster name can be 63 characters): it is shortened too.
  return entityName(
    namespace,
    `.${entityName(environment, '', MAX_ENVIRONMENT)}`,
  );
}

/** The entity name of a cluster's Resource. @public */
export function clusterEntityName(cluster: string): string {
  return entityName(cluster);
}

function resourceRef(name: string): string {
  return stringifyEntityRef({ kind: 'Resource', namespace: 'default', name });
}

function fingerprint(entity: Entity): string {
  return createHash('sha1').update(JSON.stringify(entity)).digest('hex');
}

function provided(
  entity: Entity,
  locationKey: string,
  clusters: string[],
): ProvidedEntity {
  entity.metadata.annotations = {
    ...entity.metadata.annotations,
    [ANNOTATION_LOCATION]: locationKey,
    [ANNOTATION_ORIGIN_LOCATION]: locationKey,
  };
  return { entity, locationKey, fingerprint: fingerprint(entity), clusters };
}

function clusterEntity(
  cluster: ClusterFacts,
  listing: ClusterListing,
  owner: string,
): ProvidedEntity {
  const annotations: Record<string, string> = {
    [TENANCY_CLUSTER_ANNOTATION]: cluster.name,
  };
  if (cluster.environment)
    annotations[TENANCY_ENVIRONMENT_ANNOTATION] = cluster.environment;
  if (listing.version)
    annotations[KUBERNETES_VERSION_ANNOTATION] = listing.version;
  const facts = [
    cluster.environment && `environment ${cluster.environment}`,
    listing.version && `Kubernetes ${listing.version}`,
  ].filter(Boolean);
  return provided(
    {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Resource',
      metadata: {
        name: clusterEntityName(cluster.name),
        title: cluster.name,
        description: `Kubernetes cluster ${cluster.name}${
          facts.length ? ` (${facts.join(', ')})` : ''
        }.`,
        annotations,
        ...(cluster.environment
          ? { labels: { [ENVIRONMENT_LABEL]: entityName(cluster.environment) } }
          : {}),
        tags: ['kubernetes'],
      },
      spec: { type: KUBERNETES_CLUSTER_RESOURCE_TYPE, owner },
    },
    `${PROVIDER_NAME}:cluster/${cluster.name}`,
    [cluster.name],
  );
}

interface NamespaceGroup {
  namespace: string;
  environment: string;
  /** Cluster name → owner there. */
  owners: Map<string, string>;
}

/** The owner most of its clusters agree on; ties go to the first cluster by name. */
function agreedOwner(group: NamespaceGroup): {
  owner: string;
  conflict: boolean;
} {
  const counts = new Map<string, number>();
  const clusters = [...group.owners.keys()].sort();
  for (const c of clusters) {
    const owner = group.owners.get(c)!;
    counts.set(owner, (counts.get(owner) ?? 0) + 1);
  }
  let best = group.owners.get(clusters[0])!;
  for (const [owner, n] of counts) if (n > counts.get(best)!) best = owner;
  return { owner: best, conflict: counts.size > 1 };
}

function namespaceEntity(
  group: NamespaceGroup,
  owner: string,
  clusterRefs: Map<string, string>,
): ProvidedEntity {
  const clusters = [...group.owners.keys()].sort();
  const ownerName = owner.replace(/^group:(default\/)?/, '');
  return provided(
    {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Resource',
      metadata: {
        name: namespaceEntityName(group.namespace, group.environment),
        title: `${group.namespace} (${group.environment})`,
        description: `Namespace ${group.namespace} of ${ownerName} in ${
          group.environment
        }, on ${clusters.join(', ')}.`,
        annotations: {
          [TENANCY_NAMESPACE_ANNOTATION]: group.namespace,
          [TENANCY_ENVIRONMENT_ANNOTATION]: group.environment,
          [TENANCY_CLUSTERS_ANNOTATION]: clusters.join(','),
          // Backstage's Kubernetes plugin: objects of this namespace only.
          [KUBERNETES_NAMESPACE_ANNOTATION]: group.namespace,
        },
        labels: { [ENVIRONMENT_LABEL]: entityName(group.environment) },
        tags: ['kubernetes', 'namespace'],
      },
      spec: {
        type: KUBERNETES_NAMESPACE_RESOURCE_TYPE,
        owner,
        dependsOn: clusters.map(c => clusterRefs.get(c)!),
      },
    },
    `${PROVIDER_NAME}:namespace/${group.environment}/${group.namespace}`,
    clusters,
  );
}

/**
 * The catalog's view of the clusters: one Resource per cluster (owned by
 * the platform team) and one per tenant namespace per environment (owned by
 * its tenant, depending on each cluster it is on), and which namespace
 * Resources each `backstage.io/kubernetes-id` runs in.
 */
export function catalogModel(
  listings: Array<{ cluster: ClusterFacts; listing: ClusterListing }>,
  clusterOwner: string,
): CatalogModel {
  const entities = new Map<string, ProvidedEntity>();
  const clusterRefs = new Map<string, string>();
  const groups = new Map<string, NamespaceGroup>();
  for (const { cluster, listing } of listings) {
    clusterRefs.set(
      cluster.name,
      cluster.entityRef ?? resourceRef(clusterEntityName(cluster.name)),
    );
    if (!cluster.fromCatalog) {
      const e = clusterEntity(cluster, listing, clusterOwner);
      entities.set(resourceRef(e.entity.metadata.name), e);
    }
    for (const ns of listing.namespaces) {
      const environment = ns.environment ?? cluster.environment ?? cluster.name;
      const key = `${environment}/${ns.name}`;
      const group = groups.get(key) ?? {
        namespace: ns.name,
        environment,
        owners: new Map(),
      };
      group.owners.set(cluster.name, ns.owner);
      groups.set(key, group);
    }
  }

  const conflicts: string[] = [];
  const owners = new Map<string, { ref: string; owner: string }>();
  for (const [key, group] of groups) {
    const { owner, conflict } = agreedOwner(group);
    if (conflict) conflicts.push(key);
    const e = namespaceEntity(group, owner, clusterRefs);
    const ref = resourceRef(e.entity.metadata.name);
    entities.set(ref, e);
    owners.set(key, { ref, owner });
  }

  const workloads: WorkloadIndex = {};
  for (const { cluster, listing } of listings) {
    const environmentOf = new Map(
      listing.namespaces.map(n => [
        n.name,
        n.environment ?? cluster.environment ?? cluster.name,
      ]),
    );
    for (const w of listing.workloads) {
      const environment = environmentOf.get(w.namespace);
      if (!environment) continue; // not a tenant namespace
      const target = owners.get(`${environment}/${w.namespace}`)!;
      const list = (workloads[w.id] ??= []);
      if (!list.some(t => t.ref === target.ref)) {
        list.push({ ...target, namespace: w.namespace });
      }
    }
  }
  for (const list of Object.values(workloads)) {
    list.sort((a, b) => a.ref.localeCompare(b.ref));
  }
  return { entities, workloads, conflicts };
}
