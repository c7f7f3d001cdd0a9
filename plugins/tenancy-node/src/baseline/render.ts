import {
  CompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  KubernetesObject,
  V1LimitRange,
  V1Namespace,
  V1NetworkPolicy,
  V1ResourceQuota,
  V1RoleBinding,
  V1ServiceAccount,
} from '@kubernetes/client-node';
import {
  ENVIRONMENT_LABEL,
  MANAGED_BY,
  TENANT_LABEL,
  TENANT_OWNER_ANNOTATION,
  tenantLabelValue,
} from '@tenancy/plugin-tenancy-common';
import { InputError } from '@backstage/errors';
import { BaselineOptions } from './options';
import { PodSecurityLevel } from './validation';

/** What one tenant namespace is made of. Validated before rendering. @public */
export interface TenantSpec {
  tenant: CompoundEntityRef;
  namespace: string;
  environment?: string;
  /** ResourceQuota `hard`: the preset with the request's overrides applied. */
  quota: Record<string, string>;
  podSecurity: PodSecurityLevel;
  /** Extra namespace labels (never the baseline's own keys). */
  labels?: Record<string, string>;
}

/** One object of the baseline, in the order it is applied (Namespace first). @public */
export type BaselineObject =
  | V1Namespace
  | V1ResourceQuota
  | V1LimitRange
  | V1NetworkPolicy
  | V1RoleBinding
  | V1ServiceAccount;

/** The Kubernetes group a tenant's members authenticate as. @public */
export function groupSubject(
  tenant: CompoundEntityRef,
  template: string,
): string {
  return template
    .replace(/\{name\}/g, tenant.name)
    .replace(/\{namespace\}/g, tenant.namespace);
}

/**
 * The Kubernetes group of `tenant`'s RoleBindings — refused (InputError)
 * when it would be another team's too. With a template without
 * `{namespace}` (the default `{name}`), same-named groups of two catalog
 * namespaces get one Kubernetes group, and each team's members would reach
 * the other's namespaces: only groups of the catalog's `default` namespace
 * can be tenants then.
 * @public
 */
export function tenantGroupSubject(
  tenant: CompoundEntityRef,
  template: string,
): string {
  if (
    tenant.namespace.toLocaleLowerCase('en-US') !== 'default' &&
    !template.includes('{namespace}')
  ) {
    const subject = groupSubject(tenant, template);
    throw new InputError(
      `Tenant ${stringifyEntityRef(
        tenant,
      )} cannot be onboarded: it is not in the catalog's default namespace, and tenancy.baseline.groupSubjectTemplate ("${template}") has no {namespace}, so its Kubernetes group would be "${subject}", the same as group:default/${
        tenant.name
      }'s, whose namespaces its members would reach. Put {namespace} in the template (e.g. "{namespace}:{name}") to onboard groups of other namespaces.`,
    );
  }
  return groupSubject(tenant, template);
}

/** `Kind/name` of an object, for messages and results. @public */
export function describeObject(object: KubernetesObject): string {
  return `${object.kind}/${object.metadata?.name}`;
}

/** Metadata of a namespaced baseline object: the ownership labels and annotation. */
type Meta = (name: string) => {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
};

const NETWORK_POLICY = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
} as const;

const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** The Namespace, with Pod Security enforced and also warned and audited. */
function renderNamespace(
  spec: TenantSpec,
  labels: Record<string, string>,
  annotations: Record<string, string>,
): V1Namespace {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: spec.namespace,
      labels: {
        ...spec.labels,
        ...labels,
        ...(spec.environment ? { [ENVIRONMENT_LABEL]: spec.environment } : {}),
        // Pod Security Admission: enforced, and also warned and audited so
        // that a workload that would fail a stricter level is visible.
        'pod-security.kubernetes.io/enforce': spec.podSecurity,
        'pod-security.kubernetes.io/enforce-version': 'latest',
        'pod-security.kubernetes.io/warn': spec.podSecurity,
        'pod-security.kubernetes.io/warn-version': 'latest',
        'pod-security.kubernetes.io/audit': spec.podSecurity,
        'pod-security.kubernetes.io/audit-version': 'latest',
      },
      annotations,
    },
  };
}

/** The name of the baseline's ResourceQuota. */
const QUOTA_NAME = 'tenant-quota';

/** The quota, and the container defaults that let pods without requests schedule under it. */
function renderQuotaAndDefaults(
  spec: TenantSpec,
  options: BaselineOptions,
  meta: Meta,
): [V1ResourceQuota, V1LimitRange] {
  return [
    renderTenantQuota(spec),
    {
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: meta('tenant-defaults'),
      spec: {
        limits: [
          {
            type: 'Container',
            defaultRequest: { ...options.limitRange.defaultRequest },
            _default: { ...options.limitRange.default },
            ...(options.limitRange.max
              ? { max: { ...options.limitRange.max } }
              : {}),
          },
        ],
      },
    },
  ];
}

/**
 * Deny everything, then allow DNS, the namespace's own pods and — when
 * configured — the ingress controllers' namespaces.
 */
function renderNetworkPolicies(
  options: BaselineOptions,
  meta: Meta,
): V1NetworkPolicy[] {
  const policies: V1NetworkPolicy[] = [
    {
      ...NETWORK_POLICY,
      metadata: meta('default-deny'),
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    },
    {
      ...NETWORK_POLICY,
      metadata: meta('allow-dns'),
      spec: {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [
          {
            to: [
              {
                namespaceSelector: {
                  matchLabels: {
                    'kubernetes.io/metadata.name': 'kube-system',
                  },
                },
                podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
              },
            ],
            ports: [
              { protocol: 'UDP', port: 53 },
              { protocol: 'TCP', port: 53 },
            ],
          },
        ],
      },
    },
    {
      ...NETWORK_POLICY,
      metadata: meta('allow-same-namespace'),
      spec: {
        podSelector: {},
        policyTypes: ['Ingress', 'Egress'],
        ingress: [{ _from: [{ podSelector: {} }] }],
        egress: [{ to: [{ podSelector: {} }] }],
      },
    },
  ];
  if (options.ingressNamespaces.length > 0) {
    policies.push({
      ...NETWORK_POLICY,
      metadata: meta('allow-from-ingress'),
      spec: {
        podSelector: {},
        policyTypes: ['Ingress'],
        ingress: [
          {
            _from: [
              {
                namespaceSelector: {
                  matchExpressions: [
                    {
                      key: 'kubernetes.io/metadata.name',
                      operator: 'In',
                      values: [...options.ingressNamespaces],
                    },
                  ],
                },
              },
            ],
          },
        ],
      },
    });
  }
  return policies;
}

/** The team's members as the tenant role, and the CI deployer ServiceAccount as the deploy role. */
function renderAccess(
  spec: TenantSpec,
  options: BaselineOptions,
  meta: Meta,
): [V1RoleBinding, V1ServiceAccount, V1RoleBinding] {
  return [
    {
      apiVersion: `${RBAC_GROUP}/v1`,
      kind: 'RoleBinding',
      metadata: meta('tenant-developers'),
      roleRef: {
        apiGroup: RBAC_GROUP,
        kind: 'ClusterRole',
        name: options.tenantRole,
      },
      subjects: [
        {
          apiGroup: RBAC_GROUP,
          kind: 'Group',
          name: tenantGroupSubject(spec.tenant, options.groupSubjectTemplate),
        },
      ],
    },
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: meta(options.deployServiceAccount),
    },
    {
      apiVersion: `${RBAC_GROUP}/v1`,
      kind: 'RoleBinding',
      metadata: meta(`${options.deployServiceAccount}-deploy`),
      roleRef: {
        apiGroup: RBAC_GROUP,
        kind: 'ClusterRole',
        name: options.deployRole,
      },
      subjects: [
        {
          kind: 'ServiceAccount',
          name: options.deployServiceAccount,
          namespace: spec.namespace,
        },
      ],
    },
  ];
}

/** The ownership labels and annotation every baseline object carries. */
function ownership(spec: Pick<TenantSpec, 'tenant' | 'namespace'>) {
  const labels = {
    'app.kubernetes.io/managed-by': MANAGED_BY,
    [TENANT_LABEL]: tenantLabelValue(spec.tenant),
  };
  const annotations = {
    [TENANT_OWNER_ANNOTATION]: stringifyEntityRef(spec.tenant),
  };
  const meta: Meta = name => ({
    name,
    namespace: spec.namespace,
    labels,
    annotations,
  });
  return { labels, annotations, meta };
}

/**
 * The baseline's ResourceQuota alone, as {@link renderTenantBaseline}
 * renders it: what a resize applies.
 * @public
 */
export function renderTenantQuota(
  spec: Pick<TenantSpec, 'tenant' | 'namespace' | 'quota'>,
): V1ResourceQuota {
  return {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: ownership(spec).meta(QUOTA_NAME),
    spec: { hard: { ...spec.quota } },
  };
}

/**
 * The tenant baseline for one namespace: a pure function of the spec and the
 * settings, so that what is applied can be compared field by field with what
 * was rendered. Every object carries the ownership labels.
 * @public
 */
export function renderTenantBaseline(
  spec: TenantSpec,
  options: BaselineOptions,
): BaselineObject[] {
  const { labels, annotations, meta } = ownership(spec);
  return [
    renderNamespace(spec, labels, annotations),
    ...renderQuotaAndDefaults(spec, options, meta),
    ...renderNetworkPolicies(options, meta),
    ...renderAccess(spec, options, meta),
  ];
}
