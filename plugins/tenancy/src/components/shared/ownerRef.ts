import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';

/** The owning group's ref; the entity's own namespace and `group` by default. */
export function ownerRefOf(entity: Entity): string {
  try {
    return stringifyEntityRef(
      parseEntityRef(String(entity.spec?.owner ?? ''), {
        defaultKind: 'group',
        defaultNamespace: entity.metadata.namespace ?? 'default',
      }),
    );
  } catch {
    // The catalog reports an invalid owner itself; the team view then says
    // the group does not exist.
    return `group:default/${String(entity.spec?.owner ?? 'unknown')}`;
  }
}
