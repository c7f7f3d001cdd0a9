import { CompoundEntityRef, parseEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { parseQuantity } from '../quantity';
import {
  ENVIRONMENT_LABEL,
  TENANT_LABEL,
  TENANT_OWNER_ANNOTATION,
} from '@tenancy/plugin-tenancy-common';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const RESERVED_NAMESPACES = new Set([
  'default',
  'kube-system',
  'kube-public',
  'kube-node-lease',
]);

/**
 * A tenant namespace name: a DNS-1123 label of at most 63 characters
 * that is not a system namespace.
 * @public
 */
export function validateNamespaceName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new InputError('Namespace name must not be empty');
  }
  if (name.length > 63) {
    throw new InputError(
      `Namespace name "${name.slice(0, 70)}…" is ${
        name.length
      } characters long; at most 63 are allowed`,
    );
  }
  if (!DNS_LABEL.test(name)) {
    throw new InputError(
      `Namespace name "${name}" is not valid: use lowercase letters a-z, digits and '-', starting and ending with a letter or digit (no uppercase, '_', '.' or other characters)`,
    );
  }
  if (RESERVED_NAMESPACES.has(name) || name.startsWith('kube-')) {
    throw new InputError(
      `Namespace name "${name}" is reserved for the cluster itself (default, kube-*); choose another name`,
    );
  }
  return name;
}

/** The tenant: a Backstage Group entity ref such as `group:default/team-a` or `team-a`. @public */
export function parseTenantRef(ref: unknown): CompoundEntityRef {
  if (typeof ref !== 'string' || ref.trim() === '') {
    throw new InputError(
      'Tenant must be a group entity ref, e.g. group:default/team-payments',
    );
  }
  let parsed: CompoundEntityRef;
  try {
    parsed = parseEntityRef(ref, {
      defaultKind: 'group',
      defaultNamespace: 'default',
    });
  } catch (error) {
    throw new InputError(
      `Tenant "${ref}" is not a valid entity ref: ${(error as Error).message}`,
    );
  }
  if (parsed.kind.toLocaleLowerCase('en-US') !== 'group') {
    throw new InputError(
      `Tenant "${ref}" must be a Group, not a ${parsed.kind}`,
    );
  }
  if (!DNS_LABEL.test(parsed.name) || !DNS_LABEL.test(parsed.namespace)) {
    throw new InputError(
      `Tenant "${ref}" cannot be used as a Kubernetes label value: its name and namespace must be lowercase letters, digits and '-'`,
    );
  }
  return { kind: 'group', namespace: parsed.namespace, name: parsed.name };
}

// Kubernetes resource quantities: a non-negative decimal with an optional
// binary (Ki…Ei), decimal (m, k, M…E) or exponent suffix.
const QUANTITY =
  /^(\d+(\.\d+)?|\.\d+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|[eE]\d+)?$/;
const INTEGER = /^\d+$/;
const QUOTA_RESOURCE =
  /^(requests\.|limits\.)?(cpu|memory|ephemeral-storage|storage)$|^(pods|services|services\.loadbalancers|services\.nodeports|persistentvolumeclaims|configmaps|secrets|replicationcontrollers|resourcequotas)$|^count\/[a-z0-9.-]+$|^requests\.nvidia\.com\/gpu$/;

/** A quantity such as `500m`, `2`, `4Gi`: `10 cores` and `-1Gi` are refused. @public */
export function validateQuantity(value: unknown, what: string): string {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !QUANTITY.test(text)) {
    throw new InputError(
      `${what}: "${String(
        value,
      )}" is not a Kubernetes quantity; use a non-negative number with an optional unit, e.g. 500m, 2, 512Mi, 4Gi`,
    );
  }
  return text;
}

/** ResourceQuota `hard` values: known resource names, valid quantities, counts as integers. @public */
export function validateQuota(
  hard: Record<string, unknown>,
): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [resource, value] of Object.entries(hard)) {
    if (!QUOTA_RESOURCE.test(resource)) {
      throw new InputError(
        `Quota resource "${resource}" is not one a ResourceQuota limits; use e.g. requests.cpu, limits.memory, pods`,
      );
    }
    const quantity = validateQuantity(value, `Quota ${resource}`);
    const isCount = !/(cpu|memory|storage|gpu)$/.test(resource);
    if (isCount && !INTEGER.test(quantity)) {
      throw new InputError(
        `Quota ${resource}: "${quantity}" must be a whole number`,
      );
    }
    result[resource] = quantity;
  }
  return result;
}

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const RESERVED_LABEL_KEYS = [
  TENANT_LABEL,
  ENVIRONMENT_LABEL,
  TENANT_OWNER_ANNOTATION,
  'app.kubernetes.io/managed-by',
];
const RESERVED_LABEL_PREFIXES = [
  'pod-security.kubernetes.io/',
  'kubernetes.io/',
  'k8s.io/',
  'tenancy.dev/',
];

/** Extra namespace labels: valid keys and values that do not override the baseline's own. @public */
export function validateLabels(
  labels: Record<string, unknown> | undefined,
): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels ?? {})) {
    const slash = key.lastIndexOf('/');
    const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
    const name = slash >= 0 ? key.slice(slash + 1) : key;
    if (
      name.length === 0 ||
      name.length > 63 ||
      !LABEL_NAME.test(name) ||
      (prefix !== undefined &&
        (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)))
    ) {
      throw new InputError(
        `Label key "${key}" is not a valid Kubernetes label key`,
      );
    }
    if (
      RESERVED_LABEL_KEYS.includes(key) ||
      RESERVED_LABEL_PREFIXES.some(
        p => key.startsWith(p) || `${prefix}/`.endsWith(`.${p}`),
      )
    ) {
      throw new InputError(
        `Label "${key}" is set by the tenant baseline itself and cannot be overridden`,
      );
    }
    if (
      typeof value !== 'string' ||
      value.length > 63 ||
      (value !== '' && !LABEL_NAME.test(value))
    ) {
      throw new InputError(
        `Label "${key}": value "${String(
          value,
        )}" is not valid (at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)`,
      );
    }
    result[key] = value;
  }
  return result;
}

/** @public */
export type PodSecurityLevel = 'privileged' | 'baseline' | 'restricted';
/** @public */
export const POD_SECURITY_LEVELS: PodSecurityLevel[] = [
  'privileged',
  'baseline',
  'restricted',
];

/** @public */
export function validatePodSecurity(level: unknown): PodSecurityLevel {
  if (!POD_SECURITY_LEVELS.includes(level as PodSecurityLevel)) {
    throw new InputError(
      `Pod security level "${String(
        level,
      )}" is not one of ${POD_SECURITY_LEVELS.join(', ')}`,
    );
  }
  return level as PodSecurityLevel;
}

/**
 * What in an onboarding request reaches past a team's own limits, and so
 * needs `tenancy.namespace.override` (the platform team's): Pod Security
 * weaker than the platform's default, a quota value above the chosen
 * preset's, explicit clusters
 * instead of an environment. Empty when the request stays within them.
 * Local: no remote call, so it is decided before any.
 * @public
 */
export function platformOnlyInputs(request: {
  podSecurity: PodSecurityLevel;
  defaultPodSecurity: PodSecurityLevel;
  preset: Record<string, string>;
  quota: Record<string, string>;
  clusters?: string[];
}): string[] {
  const reasons: string[] = [];
  const strictness = (l: PodSecurityLevel) => POD_SECURITY_LEVELS.indexOf(l);
  if (
    strictness(request.podSecurity) < strictness(request.defaultPodSecurity)
  ) {
    reasons.push(
      `set Pod Security "${request.podSecurity}" (weaker than the platform's "${request.defaultPodSecurity}")`,
    );
  }
  const raised = Object.entries(request.quota).filter(([resource, value]) => {
    const limit = request.preset[resource];
    // A resource the preset does not limit is only restricted further.
    return limit !== undefined && parseQuantity(value) > parseQuantity(limit);
  });
  if (raised.length > 0) {
    reasons.push(
      `raise the quota above its preset (${raised
        .map(([r, v]) => `${r} ${v} > ${request.preset[r]}`)
        .join(', ')})`,
    );
  }
  if (request.clusters?.length) {
    reasons.push('choose clusters by name (teams onboard to an environment)');
  }
  return reasons;
}
