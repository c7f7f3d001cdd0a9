import { V1ClusterRole, V1ClusterRoleBinding } from '@kubernetes/client-node';

/** The portal backend's identity on every tenant cluster (a certificate or token subject). */
export const PLATFORM_USER = 'tenancy-portal';
export const PLATFORM_GROUP = 'tenancy:portal';

const READ = ['get', 'list', 'watch'];
const WRITE = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];

/**
 * What the portal's backend may do on a tenant cluster — and nothing more. It
 * is not system:masters and holds no cluster-admin:
 * - read what the views show (workloads, pods, events, quotas, policies,
 *   bindings), which is also what Backstage's own Kubernetes plugin reads —
 *   but never Secrets;
 * - write only the tenant baseline that onboarding applies (namespace, quota,
 *   limit range, network policies, service account, role bindings);
 * - bind only the two namespaced roles below, never cluster-admin (the API
 *   server refuses to let it bind anything else: RBAC escalation check);
 * - ask SubjectAccessReviews, to prove what a tenant may do.
 */
export function platformRbac(): Array<V1ClusterRole | V1ClusterRoleBinding> {
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'tenancy-portal' },
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
        {
          apiGroups: ['apps'],
          resources: [
            'deployments',
            'replicasets',
            'statefulsets',
            'daemonsets',
          ],
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
          apiGroups: ['rbac.authorization.k8s.io'],
          resources: ['roles', 'rolebindings'],
          verbs: READ,
        },
        {
          apiGroups: ['rbac.authorization.k8s.io'],
          resources: ['rolebindings'],
          verbs: WRITE,
        },
        {
          apiGroups: ['rbac.authorization.k8s.io'],
          resources: ['clusterroles'],
          verbs: ['bind'],
          resourceNames: ['tenancy-tenant-developer', 'tenancy-deployer'],
        },
        {
          apiGroups: ['authorization.k8s.io'],
          resources: ['subjectaccessreviews'],
          verbs: ['create'],
        },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'tenancy-portal' },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'tenancy-portal',
      },
      subjects: [
        {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'Group',
          name: PLATFORM_GROUP,
        },
      ],
    },
    // What a tenant team may do inside its own namespaces (bound there with a
    // RoleBinding, never a ClusterRoleBinding): run and inspect workloads, but
    // only read its quota, limits and network policies.
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'tenancy-tenant-developer' },
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
    },
    // What a service's deploy identity (CI) may change in its namespace.
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'tenancy-deployer' },
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
    },
  ];
}
