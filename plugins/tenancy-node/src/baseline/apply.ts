import {
  CompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  ConflictError,
  ForwardedError,
  NotAllowedError,
} from '@backstage/errors';
import {
  KubeConfig,
  KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  V1Namespace,
} from '@kubernetes/client-node';
import {
  FIELD_MANAGER,
  TENANT_OWNER_ANNOTATION,
} from '@tenancy/plugin-tenancy-common';
import { apiMessage, statusOf, withAbortSignal } from '../kube';
import { BaselineObject, describeObject } from './render';

/** What happened to one object. */
export type ObjectChange =
  | 'created'
  | 'updated'
  | 'unchanged'
  | 'would-create'
  | 'would-update'
  | 'would-be-unchanged'
  | 'deleted'
  | 'absent';

export interface ObjectResult {
  /** `Kind/name`. */
  object: string;
  change: ObjectChange;
}

/** The outcome on one cluster: `unchanged` when nothing at all changed. */
export type ClusterOutcome =
  | 'created'
  | 'updated'
  | 'unchanged'
  | 'dry-run'
  | 'deleted'
  | 'absent';

export interface ApplyOptions {
  tenant: CompoundEntityRef;
  /** Server-side dry run: validated by the API server, nothing persisted. */
  dryRun?: boolean;
  /** Abort the cluster's requests after this long. */
  timeoutMs: number;
}

/**
 * Runs `fn` with a KubeConfig whose requests are aborted after `timeoutMs`;
 * a timeout becomes an error that says so.
 */
export async function withClusterTimeout<T>(
  kc: KubeConfig,
  timeoutMs: number,
  fn: (kc: KubeConfig) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    return await fn(withAbortSignal(kc, controller.signal));
  } catch (error) {
    if (controller.signal.aborted) {
      throw new ForwardedError(`no answer within ${timeoutMs} ms`, error);
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

function toError(error: unknown, what: string): Error {
  const status = statusOf(error);
  const message = `${what}: ${apiMessage(error)}`;
  if (status === 409) return new ConflictError(message);
  if (status === 401)
    return new NotAllowedError(
      `${what}: the cluster refused the portal's credentials (401)`,
    );
  if (status === 403) return new NotAllowedError(message);
  return new ForwardedError(what, new Error(apiMessage(error)));
}

/**
 * S21: a namespace that exists must be this tenant's. One that belongs to
 * another tenant, or that the suite never made, is refused — never adopted.
 */
export async function checkNamespaceOwnership(
  client: KubernetesObjectApi,
  namespace: string,
  tenant: CompoundEntityRef,
): Promise<V1Namespace | undefined> {
  let existing: V1Namespace;
  try {
    existing = await client.read<V1Namespace>({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespace },
    });
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw toError(error, `reading Namespace/${namespace}`);
  }
  const owner = existing.metadata?.annotations?.[TENANT_OWNER_ANNOTATION];
  const wanted = stringifyEntityRef(tenant);
  if (!owner) {
    throw new ConflictError(
      `Namespace ${namespace} already exists and was not made by Tenancy; it will not be adopted. Choose another name or ask the platform team.`,
    );
  }
  if (owner !== wanted) {
    throw new ConflictError(
      `Namespace ${namespace} belongs to ${owner}, not ${wanted}; refusing to change it.`,
    );
  }
  return existing;
}

async function readResourceVersion(
  client: KubernetesObjectApi,
  object: KubernetesObject,
): Promise<string | undefined> {
  try {
    const current = await client.read({
      apiVersion: object.apiVersion!,
      kind: object.kind!,
      metadata: {
        name: object.metadata!.name!,
        namespace: object.metadata?.namespace,
      },
    });
    return current.metadata?.resourceVersion;
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw toError(error, `reading ${describeObject(object)}`);
  }
}

async function apply(
  client: KubernetesObjectApi,
  object: KubernetesObject,
  dryRun: boolean,
  before: string | undefined,
): Promise<ObjectResult> {
  let after: KubernetesObject;
  try {
    // Never forced: a field another manager owns is reported (S26).
    after = await client.patch(
      object,
      undefined,
      dryRun ? 'All' : undefined,
      FIELD_MANAGER,
      false,
      PatchStrategy.ServerSideApply,
    );
  } catch (error) {
    throw toError(error, `applying ${describeObject(object)}`);
  }
  const unchanged =
    before !== undefined && after.metadata?.resourceVersion === before;
  const changes: Record<'create' | 'same' | 'update', ObjectChange> = dryRun
    ? {
        create: 'would-create',
        same: 'would-be-unchanged',
        update: 'would-update',
      }
    : { create: 'created', same: 'unchanged', update: 'updated' };
  let change = changes.update;
  if (before === undefined) change = changes.create;
  else if (unchanged) change = changes.same;
  return { object: describeObject(object), change };
}

/**
 * Applies the rendered baseline to one cluster with server-side apply under
 * the suite's field manager: the Namespace first, then every other object in
 * parallel. Compares resourceVersions so that a rerun reports `unchanged`
 * (S7). With `dryRun` the API server validates everything and persists
 * nothing; objects inside a namespace that does not exist yet cannot be
 * validated that way and are reported as `would-create`.
 */
export async function applyTenantBaseline(
  kc: KubeConfig,
  objects: BaselineObject[],
  options: ApplyOptions,
): Promise<{ outcome: ClusterOutcome; objects: ObjectResult[] }> {
  const [namespace, ...rest] = objects;
  if (namespace.kind !== 'Namespace') {
    throw new Error('The baseline must start with its Namespace');
  }
  return withClusterTimeout(kc, options.timeoutMs, async bounded => {
    const client = KubernetesObjectApi.makeApiClient(bounded);
    const existing = await checkNamespaceOwnership(
      client,
      namespace.metadata!.name!,
      options.tenant,
    );
    const dryRun = options.dryRun ?? false;
    const befores = existing
      ? await Promise.all(rest.map(o => readResourceVersion(client, o)))
      : rest.map(() => undefined);
    const results: ObjectResult[] = [
      await apply(
        client,
        namespace,
        dryRun,
        existing?.metadata?.resourceVersion,
      ),
    ];
    if (dryRun && !existing) {
      results.push(
        ...rest.map(o => ({
          object: describeObject(o),
          change: 'would-create' as const,
        })),
      );
    } else {
      results.push(
        ...(await Promise.all(
          rest.map((o, i) => apply(client, o, dryRun, befores[i])),
        )),
      );
    }
    let outcome: ClusterOutcome;
    if (dryRun) outcome = 'dry-run';
    else if (results.every(r => r.change === 'unchanged'))
      outcome = 'unchanged';
    else if (!existing) outcome = 'created';
    else outcome = 'updated';
    return { outcome, objects: results };
  });
}

/**
 * Deletes a tenant's namespace (refusing one that is not the tenant's) and
 * waits, within the deadline, until the cluster has finished deleting it.
 */
export async function deleteTenantNamespace(
  kc: KubeConfig,
  namespace: string,
  options: {
    tenant: CompoundEntityRef;
    timeoutMs: number;
    waitMs: number;
    dryRun?: boolean;
  },
): Promise<{ outcome: ClusterOutcome }> {
  const existing = await withClusterTimeout(kc, options.timeoutMs, bounded =>
    checkNamespaceOwnership(
      KubernetesObjectApi.makeApiClient(bounded),
      namespace,
      options.tenant,
    ),
  );
  if (!existing) return { outcome: 'absent' };
  if (options.dryRun) return { outcome: 'dry-run' };
  await withClusterTimeout(kc, options.timeoutMs, async bounded => {
    try {
      await KubernetesObjectApi.makeApiClient(bounded).delete({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: namespace },
      });
    } catch (error) {
      if (statusOf(error) !== 404)
        throw toError(error, `deleting Namespace/${namespace}`);
    }
  });
  const deadline = Date.now() + options.waitMs;
  for (;;) {
    const gone = await withClusterTimeout(
      kc,
      options.timeoutMs,
      async bounded => {
        try {
          await KubernetesObjectApi.makeApiClient(bounded).read({
            apiVersion: 'v1',
            kind: 'Namespace',
            metadata: { name: namespace },
          });
          return false;
        } catch (error) {
          if (statusOf(error) === 404) return true;
          throw toError(error, `reading Namespace/${namespace}`);
        }
      },
    );
    if (gone) return { outcome: 'deleted' };
    if (Date.now() > deadline) {
      throw new ForwardedError(
        `Namespace ${namespace} is still terminating after ${Math.round(
          options.waitMs / 1000,
        )} s`,
        new Error('deletion did not finish in time'),
      );
    }
    await new Promise(resolve => setTimeout(resolve, 500));
  }
}
