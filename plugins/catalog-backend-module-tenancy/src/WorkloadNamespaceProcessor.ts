import {
  Entity,
  parseEntityRef,
  RELATION_DEPENDENCY_OF,
  RELATION_DEPENDS_ON,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { LocationSpec } from '@backstage/plugin-catalog-common';
import {
  CatalogProcessor,
  CatalogProcessorEmit,
  processingResult,
} from '@backstage/plugin-catalog-node';
import {
  KUBERNETES_ID_ANNOTATION,
  KUBERNETES_NAMESPACE_ANNOTATION,
} from '@tenancy/plugin-tenancy-common';
import { WorkloadIndexStore, workloadRefreshKey } from './state';

/**
 * Relates each Component with a `backstage.io/kubernetes-id` to the
 * namespace Resources its workloads run in (`dependsOn`, and
 * `dependencyOf` back), so the catalog graph reads service → namespace →
 * cluster. Only namespaces of the Component's own owner count: a Component
 * naming another team's workloads gets no relation to that team's
 * namespaces, as the Health tab shows it none of their workloads. A
 * `backstage.io/kubernetes-namespace` annotation narrows it to that
 * namespace.
 * @public
 */
export class WorkloadNamespaceProcessor implements CatalogProcessor {
  constructor(private readonly index: WorkloadIndexStore) {}

  getProcessorName(): string {
    return 'TenancyWorkloadNamespaceProcessor';
  }

  async postProcessEntity(
    entity: Entity,
    _location: LocationSpec,
    emit: CatalogProcessorEmit,
  ): Promise<Entity> {
    if (entity.kind.toLocaleLowerCase('en-US') !== 'component') return entity;
    const annotations = entity.metadata.annotations ?? {};
    const id = annotations[KUBERNETES_ID_ANNOTATION];
    const owner = entity.spec?.owner;
    if (!id || typeof owner !== 'string') return entity;
    // Reprocessed when the provider sees this id's namespaces change.
    emit(processingResult.refresh(workloadRefreshKey(id)));

    let ownerRef: string;
    try {
      ownerRef = stringifyEntityRef(
        parseEntityRef(owner, {
          defaultKind: 'group',
          defaultNamespace: entity.metadata.namespace ?? 'default',
        }),
      );
    } catch {
      // An invalid owner is the catalog's own validation error to report.
      return entity;
    }
    const onlyNamespace = annotations[KUBERNETES_NAMESPACE_ANNOTATION];
    const self = {
      kind: entity.kind,
      namespace: entity.metadata.namespace ?? 'default',
      name: entity.metadata.name,
    };
    for (const target of (await this.index.read())[id] ?? []) {
      if (target.owner !== ownerRef) continue;
      if (onlyNamespace && target.namespace !== onlyNamespace) continue;
      const namespaceRef = parseEntityRef(target.ref);
      emit(
        processingResult.relation({
          source: self,
          type: RELATION_DEPENDS_ON,
          target: namespaceRef,
        }),
      );
      emit(
        processingResult.relation({
          source: namespaceRef,
          type: RELATION_DEPENDENCY_OF,
          target: self,
        }),
      );
    }
    return entity;
  }
}
