/**
 * Label naming the tenant (the owning Backstage Group) on every namespace
 * the suite provisions. Its value is the group's name for groups in the
 * `default` namespace, `<namespace>.<name>` otherwise (label values cannot
 * hold `:` or `/`); the full entity ref is in {@link TENANT_OWNER_ANNOTATION}.
 * @public
 */
export const TENANT_LABEL = 'tenancy.dev/tenant';

/**
 * Annotation with the owning group's full entity ref, e.g.
 * `group:default/team-payments`. Authoritative for ownership checks.
 * @public
 */
export const TENANT_OWNER_ANNOTATION = 'tenancy.dev/owner';

/** Label with the environment a namespace was onboarded for. @public */
export const ENVIRONMENT_LABEL = 'tenancy.dev/environment';

/** `app.kubernetes.io/managed-by` value on everything the suite applies. @public */
export const MANAGED_BY = 'tenancy';

/** The server-side-apply field manager of everything the suite writes. @public */
export const FIELD_MANAGER = 'tenancy';

/**
 * The value of {@link TENANT_LABEL} for a group entity ref.
 * @public
 */
export function tenantLabelValue(ref: {
  namespace: string;
  name: string;
}): string {
  return ref.namespace === 'default'
    ? ref.name
    : `${ref.namespace}.${ref.name}`;
}

/**
 * The owning group's entity ref of a namespace, from the suite's annotation
 * ({@link TENANT_OWNER_ANNOTATION}) or, failing that, its label; undefined
 * for a namespace that is not a tenant's.
 * @public
 */
export function tenantOfNamespace(ns: {
  labels: Record<string, string>;
  annotations: Record<string, string>;
}): string | undefined {
  const owner = ns.annotations[TENANT_OWNER_ANNOTATION];
  if (owner) return owner;
  const label = ns.labels[TENANT_LABEL];
  if (!label) return undefined;
  const dot = label.indexOf('.');
  return dot > 0
    ? `group:${label.slice(0, dot)}/${label.slice(dot + 1)}`
    : `group:default/${label}`;
}
