import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import {
  PodSecurityLevel,
  validatePodSecurity,
  validateQuantity,
  validateQuota,
} from './validation';

/** The tenant baseline's settings, from `tenancy.baseline` (see config.d.ts). @public */
export interface BaselineOptions {
  groupSubjectTemplate: string;
  tenantRole: string;
  deployRole: string;
  deployServiceAccount: string;
  defaultPodSecurity: PodSecurityLevel;
  ingressNamespaces: string[];
  defaultQuotaPreset: string;
  quotaPresets: Record<string, Record<string, string>>;
  limitRange: {
    defaultRequest: Record<string, string>;
    default: Record<string, string>;
    max?: Record<string, string>;
  };
}

/** @public */
export const DEFAULT_QUOTA_PRESETS: Record<string, Record<string, string>> = {
  small: {
    'requests.cpu': '2',
    'requests.memory': '4Gi',
    'limits.cpu': '4',
    'limits.memory': '8Gi',
    pods: '20',
    services: '10',
    persistentvolumeclaims: '5',
  },
  medium: {
    'requests.cpu': '8',
    'requests.memory': '16Gi',
    'limits.cpu': '16',
    'limits.memory': '32Gi',
    pods: '60',
    services: '20',
    persistentvolumeclaims: '10',
  },
  large: {
    'requests.cpu': '32',
    'requests.memory': '64Gi',
    'limits.cpu': '64',
    'limits.memory': '128Gi',
    pods: '200',
    services: '50',
    persistentvolumeclaims: '30',
  },
};

const FORBIDDEN_ROLES = new Set(['cluster-admin', 'admin', 'system:masters']);

function quantities(
  config: Config | undefined,
  what: string,
): Record<string, string> | undefined {
  if (!config) return undefined;
  const result: Record<string, string> = {};
  for (const key of config.keys()) {
    result[key] = validateQuantity(config.getString(key), `${what}.${key}`);
  }
  return result;
}

/**
 * Reads and checks `tenancy.baseline`: a bad preset or a tenant role of
 * cluster-admin stops the backend at start-up, not at the first onboarding.
 * @public
 */
export function readBaselineOptions(config: Config): BaselineOptions {
  const baseline = config.getOptionalConfig('tenancy.baseline');
  const tenantRole =
    baseline?.getOptionalString('tenantRole') ?? 'tenancy-tenant-developer';
  if (FORBIDDEN_ROLES.has(tenantRole)) {
    throw new InputError(
      `tenancy.baseline.tenantRole must be a namespaced-scope role, not ${tenantRole}`,
    );
  }
  const presets = { ...DEFAULT_QUOTA_PRESETS };
  const presetConfig = baseline?.getOptionalConfig('quotaPresets');
  for (const name of presetConfig?.keys() ?? []) {
    // Read whole: ResourceQuota keys have dots (`requests.cpu`), which
    // getString would take for a path.
    const preset = presetConfig!.get<Record<string, unknown>>(name);
    if (
      typeof preset !== 'object' ||
      preset === null ||
      Array.isArray(preset)
    ) {
      throw new InputError(
        `tenancy.baseline.quotaPresets.${name} must map ResourceQuota resources to quantities`,
      );
    }
    presets[name] = validateQuota(
      Object.fromEntries(
        Object.entries(preset).map(([k, v]) => [
          k,
          typeof v === 'number' ? String(v) : (v as string),
        ]),
      ),
    );
  }
  const defaultQuotaPreset =
    baseline?.getOptionalString('defaultQuotaPreset') ?? 'small';
  if (!presets[defaultQuotaPreset]) {
    throw new InputError(
      `tenancy.baseline.defaultQuotaPreset "${defaultQuotaPreset}" is not a preset (${Object.keys(
        presets,
      ).join(', ')})`,
    );
  }
  const limitRange = baseline?.getOptionalConfig('limitRange');
  return {
    groupSubjectTemplate: validateGroupSubjectTemplate(
      baseline?.getOptionalString('groupSubjectTemplate') ?? '{name}',
    ),
    tenantRole,
    deployRole: baseline?.getOptionalString('deployRole') ?? 'tenancy-deployer',
    deployServiceAccount:
      baseline?.getOptionalString('deployServiceAccount') ?? 'deployer',
    defaultPodSecurity: validatePodSecurity(
      baseline?.getOptionalString('defaultPodSecurity') ?? 'baseline',
    ),
    ingressNamespaces: baseline?.getOptionalStringArray(
      'ingressNamespaces',
    ) ?? ['ingress-nginx'],
    defaultQuotaPreset,
    quotaPresets: presets,
    limitRange: {
      defaultRequest: quantities(
        limitRange?.getOptionalConfig('defaultRequest'),
        'tenancy.baseline.limitRange.defaultRequest',
      ) ?? {
        cpu: '100m',
        memory: '128Mi',
      },
      default: quantities(
        limitRange?.getOptionalConfig('default'),
        'tenancy.baseline.limitRange.default',
      ) ?? {
        cpu: '500m',
        memory: '512Mi',
      },
      max: quantities(
        limitRange?.getOptionalConfig('max'),
        'tenancy.baseline.limitRange.max',
      ),
    },
  };
}

/**
 * A template that names each team's group apart: with `{name}` (else every
 * tenant's RoleBindings would bind one group), and no `system:` group (the
 * API server's own; the portal never puts one in a token).
 */
function validateGroupSubjectTemplate(template: string): string {
  if (!template.includes('{name}')) {
    throw new InputError(
      `tenancy.baseline.groupSubjectTemplate "${template}" has no {name}: every tenant's RoleBindings would bind the same Kubernetes group; use e.g. "{name}" or "oidc:{name}"`,
    );
  }
  if (template.toLocaleLowerCase('en-US').startsWith('system:')) {
    throw new InputError(
      `tenancy.baseline.groupSubjectTemplate "${template}" names a system: group, which is the API server's own and never in a portal token`,
    );
  }
  return template;
}
