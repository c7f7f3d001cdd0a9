import { V1ClusterRole, V1ClusterRoleBinding } from '@kubernetes/client-node';

/** The portal backend's identity on every tenant cluster (a certificate or token subject). @public */
export const PLATFORM_USER = 'tenancy-portal';
/** @public */
export const PLATFORM_GROUP = 'tenancy:portal';

const READ = ['get', 'list', 'watch'];
const WRITE = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];

const RBAC_API_GROUP = 'rbac.authorization.k8s.io';
const PORTAL_ROLE = 'tenancy-portal';
const TENANT_DEVELOPER_ROLE = 'tenancy-tenant-developer';
const DEPLOYER_ROLE = 'tenancy-deployer';

/**
 * The ClusterRole of the portal's backend. It is not system:masters and holds
 * no cluster-admin:
 * - read what the views show (workloads, pods, events, quotas, policies,
 *   bindings), which is also what Backstage's own Kubernetes plugin reads —
 *   but never Secrets; and the last lines of pods' logs (`pods/log` get),
 *   for the troubleshooting view;
 * - write only the tenant baseline that onboarding applies (namespace, quota,
 *   limit range, network policies, service account, role bindings);
 * - bind only the two namespaced roles below, never cluster-admin (the API
 *   server refuses to let it bind anything else: RBAC escalation check);
 * - ask SubjectAccessReviews, to prove what a tenant may do.
 */
function portalClusterRole(): V1ClusterRole {
  return {
    apiVersion: `${RBAC_API_GROUP}/v1`,
    kind: 'ClusterRole',
    metadata: { name: PORTAL_ROLE },
    rules: [
      {
        apiGroups: [''],
        resources: [
          'nodes',
          'pods',
          'services',
          'endpoints',
          'events',
          'configmaps',
          'persistentvolumeclaims',
          'replicationcontrollers',
        ],
        verbs: READ,
      },
      { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
      {
        apiGroups: ['apps'],
        resources: ['deployments', 'replicasets', 'statefulsets', 'daemonsets'],
        verbs: READ,
      },
      { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: READ },
      {
        apiGroups: ['autoscaling'],
        resources: ['horizontalpodautoscalers'],
        verbs: READ,
      },
      {
        apiGroups: ['networking.k8s.io'],
        resources: ['ingresses'],
        verbs: READ,
      },
      { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: READ },
      {
        apiGroups: [''],
        resources: [
          'namespaces',
          'resourcequotas',
          'limitranges',
          'serviceaccounts',
        ],
        verbs: WRITE,
      },
      {
        apiGroups: ['networking.k8s.io'],
        resources: ['networkpolicies'],
        verbs: WRITE,
      },
      {
        apiGroups: [RBAC_API_GROUP],
        resources: ['roles', 'rolebindings'],
        verbs: READ,
      },
      {
        apiGroups: [RBAC_API_GROUP],
        resources: ['rolebindings'],
        verbs: WRITE,
      },
      {
        apiGroups: [RBAC_API_GROUP],
        resources: ['clusterroles'],
        verbs: ['bind'],
        resourceNames: [TENANT_DEVELOPER_ROLE, DEPLOYER_ROLE],
      },
      {
        apiGroups: ['authorization.k8s.io'],
        resources: ['subjectaccessreviews'],
        verbs: ['create'],
      },
    ],
  };
}

/** Grants the portal's role to the group the portal authenticates in. */
function portalClusterRoleBinding(): V1ClusterRoleBinding {
  return {
    apiVersion: `${RBAC_API_GROUP}/v1`,
    kind: 'ClusterRoleBinding',
    metadata: { name: PORTAL_ROLE },
    roleRef: {
      apiGroup: RBAC_API_GROUP,
      kind: 'ClusterRole',
      name: PORTAL_ROLE,
    },
    subjects: [
      {
        apiGroup: RBAC_API_GROUP,
        kind: 'Group',
        name: PLATFORM_GROUP,
      },
    ],
  };
}

/**
 * What a tenant team may do inside its own namespaces (bound there with a
 * RoleBinding, never a ClusterRoleBinding): run and inspect workloads, but
 * only read its quota, limits and network policies.
 */
function tenantDeveloperRole(): V1ClusterRole {
  return {
    apiVersion: `${RBAC_API_GROUP}/v1`,
    kind: 'ClusterRole',
    metadata: { name: TENANT_DEVELOPER_ROLE },
    rules: [
      {
        apiGroups: [''],
        resources: [
          'pods',
          'pods/log',
          'services',
          'configmaps',
          'persistentvolumeclaims',
          'events',
          'endpoints',
        ],
        verbs: WRITE,
      },
      {
        apiGroups: [''],
        resources: ['pods/exec', 'pods/portforward'],
        verbs: ['create'],
      },
      {
        apiGroups: ['apps'],
        resources: ['deployments', 'replicasets', 'statefulsets'],
        verbs: WRITE,
      },
      { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: WRITE },
      {
        apiGroups: ['autoscaling'],
        resources: ['horizontalpodautoscalers'],
        verbs: WRITE,
      },
      {
        apiGroups: ['networking.k8s.io'],
        resources: ['ingresses'],
        verbs: WRITE,
      },
      {
        apiGroups: [''],
        resources: ['resourcequotas', 'limitranges', 'serviceaccounts'],
        verbs: READ,
      },
      {
        apiGroups: ['networking.k8s.io'],
        resources: ['networkpolicies'],
        verbs: READ,
      },
    ],
  };
}

/** What a service's deploy identity (CI) may change in its namespace. */
function deployerRole(): V1ClusterRole {
  return {
    apiVersion: `${RBAC_API_GROUP}/v1`,
    kind: 'ClusterRole',
    metadata: { name: DEPLOYER_ROLE },
    rules: [
      {
        apiGroups: [''],
        resources: ['services', 'configmaps'],
        verbs: WRITE,
      },
      {
        apiGroups: ['apps'],
        resources: ['deployments', 'statefulsets'],
        verbs: WRITE,
      },
      {
        apiGroups: ['autoscaling'],
        resources: ['horizontalpodautoscalers'],
        verbs: WRITE,
      },
      { apiGroups: [''], resources: ['pods'], verbs: READ },
    ],
  };
}

/**
 * What the portal's backend may do on a tenant cluster — and nothing more —
 * and the two roles the tenant baseline binds: the portal's ClusterRole and
 * its binding, `tenancy-tenant-developer` and `tenancy-deployer`. The same
 * objects are in deploy/rbac/ for `kubectl apply`; a test keeps them equal.
 * @public
 */
export function platformRbac(): Array<V1ClusterRole | V1ClusterRoleBinding> {
  return [
    portalClusterRole(),
    portalClusterRoleBinding(),
    tenantDeveloperRole(),
    deployerRole(),
  ];
}
