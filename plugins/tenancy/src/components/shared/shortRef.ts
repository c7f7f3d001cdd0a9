import { parseEntityRef } from '@backstage/catalog-model';
import { humanizeEntityRef } from '@backstage/plugin-catalog-react';

/** `group:default/team-a` → `team-a`: a ref as the catalog shows it. */
export function shortRef(ref: string, defaultKind: string): string {
  try {
    return humanizeEntityRef(parseEntityRef(ref), {
      defaultKind,
      defaultNamespace: 'default',
    });
  } catch {
    return ref;
  }
}
