import { makeValidator, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';

const validators = makeValidator();

// Entity ref parts as the catalog validates them, and cluster names as
// Kubernetes allows names: anything else is a 400 before any work.
const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;
// A Deployment's or StatefulSet's name: a DNS-1123 subdomain.
const OBJECT_NAME = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;
const PARTS = {
  kind: (v: string) => validators.isValidKind(v),
  namespace: (v: string) => validators.isValidNamespace(v),
  name: (v: string) => validators.isValidEntityName(v),
  cluster: (v: string) => CLUSTER_NAME.test(v),
  workload: (v: string) => OBJECT_NAME.test(v),
};
const HINTS: Partial<Record<keyof typeof PARTS, string>> = {
  workload:
    "a Kubernetes object name is lower-case letters, digits, '-' and '.'",
};

/** `value` if it is a valid `what` (an entity ref part, a cluster or object name), else an InputError saying what is allowed. */
export function param(
  value: string,
  what: keyof typeof PARTS,
  label: string = what,
): string {
  if (!PARTS[what](value)) {
    throw new InputError(
      `Invalid ${label} "${value.slice(0, 40)}${
        value.length > 40 ? '…' : ''
      }": ${
        HINTS[what] ??
        "see Backstage's entity naming rules (letters, digits, '.', '_' or '-')"
      }`,
    );
  }
  return value;
}

/** The group ref of a route's `:namespace/:name`, each part validated. */
export function groupRefParam(params: {
  namespace: string;
  name: string;
}): string {
  return stringifyEntityRef({
    kind: 'group',
    namespace: param(params.namespace, 'namespace'),
    name: param(params.name, 'name', 'group name'),
  });
}
