import {
  CompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  ConflictError,
  ForwardedError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  V1Namespace,
  V1ResourceQuota,
} from '@kubernetes/client-node';
import {
  FIELD_MANAGER,
  MANAGED_BY,
  TENANT_LABEL,
  TENANT_OWNER_ANNOTATION,
  tenantLabelValue,
} from '@tenancy/plugin-tenancy-common';
import { apiMessage, statusOf, withAbortSignal } from '../kube';
import { describeQuotaChange, quotaChanges } from './quotaChange';
import { BaselineObject, describeObject } from './render';

/** What happened to one object. @public */
export type ObjectChange =
  | 'created'
  | 'updated'
  | 'unchanged'
  | 'would-create'
  | 'would-update'
  | 'would-be-unchanged'
  | 'deleted'
  | 'would-delete'
  | 'absent';

/** @public */
export interface ObjectResult {
  /** `Kind/name`. */
  object: string;
  change: ObjectChange;
  /** What changes in it, for a person (e.g. a quota's `requests.cpu 2 → 4`). */
  detail?: string;
}

/** The outcome on one cluster: `unchanged` when nothing at all changed. @public */
export type ClusterOutcome =
  | 'created'
  | 'updated'
  | 'unchanged'
  | 'dry-run'
  | 'deleted'
  | 'absent';

/** @public */
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
 * @public
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
      // The cause stays attached, not in the message: what the client made
      // of the abort (a wrapped AbortError, or a TypeError from setting its
      // read-only message) says nothing more to a person.
      throw new Error(`no answer within ${timeoutMs} ms`, { cause: error });
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
 * The field manager of a namespace's claim: the create that made it, holding
 * only the owner annotation and the tenant labels. Server-side apply by the
 * suite's own manager can share those fields but never change them without
 * forcing (which the suite never does), so nobody — not a second tenant's
 * onboarding, not a later run of the suite — can rewrite a namespace's owner.
 * @public
 */
export const CLAIM_FIELD_MANAGER = 'tenancy-claim';

/**
 * A namespace that exists must be this tenant's. One that belongs to
 * another tenant, or that the suite never made, is refused — never adopted.
 */
function checkOwner(
  existing: V1Namespace,
  namespace: string,
  tenant: CompoundEntityRef,
): V1Namespace {
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

async function readNamespace(
  client: KubernetesObjectApi,
  namespace: string,
): Promise<V1Namespace | undefined> {
  try {
    return await client.read<V1Namespace>({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespace },
    });
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw toError(error, `reading Namespace/${namespace}`);
  }
}

/**
 * Reads a namespace and, when it exists, checks that it is the tenant's
 * (another tenant's is refused, never adopted). Undefined when it does not
 * exist.
 * @public
 */
export async function checkNamespaceOwnership(
  client: KubernetesObjectApi,
  namespace: string,
  tenant: CompoundEntityRef,
): Promise<V1Namespace | undefined> {
  const existing = await readNamespace(client, namespace);
  return existing && checkOwner(existing, namespace, tenant);
}

/**
 * Claims a namespace for a tenant atomically: a create, which the API server
 * refuses when the name exists — so of two tenants onboarding the same new
 * name at the same moment exactly one gets it, and a namespace someone made
 * by hand is never adopted. A create that loses reads the winner and goes on
 * only when the namespace is the tenant's own (a concurrent run for the same
 * tenant). Returns the namespace and whether this call created it.
 */
async function claimNamespace(
  client: KubernetesObjectApi,
  namespace: string,
  tenant: CompoundEntityRef,
): Promise<{ namespace: V1Namespace; created: boolean }> {
  const existing = await checkNamespaceOwnership(client, namespace, tenant);
  if (existing) return { namespace: existing, created: false };
  const claim: V1Namespace = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: namespace,
      labels: {
        'app.kubernetes.io/managed-by': MANAGED_BY,
        [TENANT_LABEL]: tenantLabelValue(tenant),
      },
      annotations: { [TENANT_OWNER_ANNOTATION]: stringifyEntityRef(tenant) },
    },
  };
  try {
    const created = await client.create(
      claim,
      undefined,
      undefined,
      CLAIM_FIELD_MANAGER,
    );
    return { namespace: created, created: true };
  } catch (error) {
    if (statusOf(error) !== 409) {
      throw toError(error, `creating Namespace/${namespace}`);
    }
  }
  // Someone else created it between our read and our create.
  const winner = await readNamespace(client, namespace);
  if (!winner) {
    throw new ConflictError(
      `Namespace ${namespace} was created and deleted by someone else while it was being claimed; try again.`,
    );
  }
  const owner = winner.metadata?.annotations?.[TENANT_OWNER_ANNOTATION];
  if (owner && owner !== stringifyEntityRef(tenant)) {
    throw new ConflictError(
      `Namespace ${namespace} was just claimed by ${owner}; it is theirs now. Choose another name.`,
    );
  }
  return { namespace: checkOwner(winner, namespace, tenant), created: false };
}

/** The object as the cluster has it now; undefined when it does not exist. */
async function readCurrent(
  client: KubernetesObjectApi,
  object: KubernetesObject,
): Promise<KubernetesObject | undefined> {
  try {
    return await client.read({
      apiVersion: object.apiVersion!,
      kind: object.kind!,
      metadata: {
        name: object.metadata!.name!,
        namespace: object.metadata?.namespace,
      },
    });
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw toError(error, `reading ${describeObject(object)}`);
  }
}

async function readResourceVersion(
  client: KubernetesObjectApi,
  object: KubernetesObject,
): Promise<string | undefined> {
  return (await readCurrent(client, object))?.metadata?.resourceVersion;
}

/** Key-sorted JSON, so that two objects compare by content. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map(k => [k, v[k]]),
        )
      : v,
  );
}

/**
 * What a person would call the object's content: everything but its status
 * and the metadata the API server keeps (resourceVersion, managedFields,
 * timestamps…), its labels and annotations included.
 */
function content(object: KubernetesObject): string {
  const {
    metadata,
    status: _status,
    ...rest
  } = object as KubernetesObject & {
    status?: unknown;
  };
  return canonical({
    ...rest,
    labels: metadata?.labels ?? {},
    annotations: metadata?.annotations ?? {},
  });
}

/**
 * A server-side dry run does not move the resourceVersion, so whether the
 * apply would change an object is read off its content: the dry run's
 * answer against the object as it is.
 */
function dryRunChange(
  current: KubernetesObject | undefined,
  after: KubernetesObject,
): ObjectChange {
  if (!current) return 'would-create';
  return content(current) === content(after)
    ? 'would-be-unchanged'
    : 'would-update';
}

/** An apply refused because the object is not the one that was read. */
class PreconditionError extends ConflictError {}

function failedPrecondition(error: unknown): boolean {
  const status = statusOf(error);
  const message = apiMessage(error);
  return (
    (status === 409 && /the object has been modified/.test(message)) ||
    (status === 422 && /metadata\.uid/.test(message))
  );
}

async function apply(
  client: KubernetesObjectApi,
  object: KubernetesObject,
  dryRun: boolean,
  before: { resourceVersion?: string; uid?: string } | undefined,
  options: {
    precondition?: boolean;
    created?: boolean;
    /** In a dry run: the object as it is, to tell what would change. */
    current?: KubernetesObject;
  } = {},
): Promise<ObjectResult> {
  let after: KubernetesObject;
  // The uid alone: a namespace deleted and made again (by someone else)
  // has another, and the API server refuses the apply (422). No
  // resourceVersion: other controllers touching the namespace are fine.
  const applied =
    options.precondition && before?.uid
      ? { ...object, metadata: { ...object.metadata, uid: before.uid } }
      : object;
  try {
    // Never forced: a field another manager owns is reported, not taken over.
    after = await client.patch(
      applied,
      undefined,
      dryRun ? 'All' : undefined,
      FIELD_MANAGER,
      false,
      PatchStrategy.ServerSideApply,
    );
  } catch (error) {
    if (options.precondition && failedPrecondition(error)) {
      throw new PreconditionError(
        `${describeObject(
          object,
        )} changed while it was being onboarded (someone else deleted or changed it); nothing was applied to it — check it and try again.`,
      );
    }
    throw toError(error, `applying ${describeObject(object)}`);
  }
  if (dryRun && options.current) {
    return {
      object: describeObject(object),
      change: dryRunChange(options.current, after),
    };
  }
  const unchanged =
    before?.resourceVersion !== undefined &&
    after.metadata?.resourceVersion === before.resourceVersion;
  const changes: Record<'create' | 'same' | 'update', ObjectChange> = dryRun
    ? {
        create: 'would-create',
        same: 'would-be-unchanged',
        update: 'would-update',
      }
    : { create: 'created', same: 'unchanged', update: 'updated' };
  let change = changes.update;
  if (before?.resourceVersion === undefined || options.created)
    change = changes.create;
  else if (unchanged) change = changes.same;
  return { object: describeObject(object), change };
}

/**
 * Applies the rendered baseline to one cluster with server-side apply under
 * the suite's field manager: the Namespace first, then every other object in
 * parallel. Compares resourceVersions so that a rerun reports `unchanged`
 * and changes nothing. With `dryRun` the API server validates everything
 * and persists nothing; objects inside a namespace that does not exist yet
 * cannot be validated that way and are reported as `would-create`.
 * @public
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
  const name = namespace.metadata!.name!;
  const dryRun = options.dryRun ?? false;
  return withClusterTimeout(kc, options.timeoutMs, async bounded => {
    const client = KubernetesObjectApi.makeApiClient(bounded);
    if (dryRun) {
      const existing = await checkNamespaceOwnership(
        client,
        name,
        options.tenant,
      );
      const results: ObjectResult[] = [
        await apply(client, namespace, true, existing?.metadata, {
          current: existing,
        }),
      ];
      if (!existing) {
        results.push(
          ...rest.map(o => ({
            object: describeObject(o),
            change: 'would-create' as const,
          })),
        );
      } else {
        const currents = await Promise.all(
          rest.map(o => readCurrent(client, o)),
        );
        results.push(
          ...(await Promise.all(
            rest.map((o, i) =>
              currents[i]
                ? apply(client, o, true, currents[i]!.metadata, {
                    current: currents[i],
                  })
                : apply(client, o, true, undefined),
            ),
          )),
        );
      }
      return { outcome: 'dry-run' as const, objects: results };
    }

    // The Namespace is applied with the claim's uid as a precondition: if it
    // changed hands since it was read (deleted and made again by someone
    // else), the API server refuses the apply, and the claim is made again
    // from the start (its owner checked again).
    let claim: { namespace: V1Namespace; created: boolean } | undefined;
    let namespaceResult: ObjectResult | undefined;
    for (let attempt = 1; !namespaceResult; attempt++) {
      claim = await claimNamespace(client, name, options.tenant);
      try {
        namespaceResult = await apply(
          client,
          namespace,
          false,
          claim.namespace.metadata,
          { precondition: true, created: claim.created },
        );
      } catch (error) {
        if (!(error instanceof PreconditionError) || attempt >= 3) throw error;
      }
    }
    const uid = claim!.namespace.metadata?.uid;
    const befores = claim!.created
      ? rest.map(() => undefined)
      : await Promise.all(rest.map(o => readResourceVersion(client, o)));
    const results: ObjectResult[] = [namespaceResult];
    results.push(
      ...(await Promise.all(
        rest.map((o, i) =>
          apply(client, o, false, { resourceVersion: befores[i] }),
        ),
      )),
    );
    // Everything else went into the namespace by name: check it is still the
    // one this run claimed.
    const after = await readNamespace(client, name);
    if (after?.metadata?.uid !== uid) {
      throw new ConflictError(
        `Namespace ${name} was deleted${
          after ? ' and made again' : ''
        } while it was being onboarded, so some of its objects may have been applied to ${
          after ? 'the new one' : 'nothing'
        }; check it and try again.`,
      );
    }
    let outcome: ClusterOutcome;
    if (results.every(r => r.change === 'unchanged')) outcome = 'unchanged';
    else if (claim!.created) outcome = 'created';
    else outcome = 'updated';
    return { outcome, objects: results };
  });
}

/** At most this many objects of each kind are named in a dry run's plan. */
const CONTENTS_PER_KIND = 50;

/**
 * The workloads, services and volume claims in a namespace (`Kind/name`),
 * for the dry run of its deletion: what a person would miss. Secrets and
 * ConfigMaps are not named.
 */
async function namespaceContents(
  kc: KubeConfig,
  namespace: string,
): Promise<string[]> {
  const apps = kc.makeApiClient(AppsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  const limit = CONTENTS_PER_KIND + 1;
  const lists: Array<[string, Promise<{ items: KubernetesObject[] }>]> = [
    ['Deployment', apps.listNamespacedDeployment({ namespace, limit })],
    ['StatefulSet', apps.listNamespacedStatefulSet({ namespace, limit })],
    ['Service', core.listNamespacedService({ namespace, limit })],
    [
      'PersistentVolumeClaim',
      core.listNamespacedPersistentVolumeClaim({ namespace, limit }),
    ],
  ];
  const answers = await Promise.allSettled(lists.map(([, list]) => list));
  const result: string[] = [];
  for (const [i, [kind]] of lists.entries()) {
    const answer = answers[i];
    if (answer.status === 'rejected') {
      // The plan says what it could not see rather than failing: the
      // namespace itself is still what would be deleted.
      const status = statusOf(answer.reason);
      result.push(
        `${kind}/… (could not list${status ? `: HTTP ${status}` : ''})`,
      );
      continue;
    }
    const { items } = answer.value;
    for (const item of items.slice(0, CONTENTS_PER_KIND)) {
      result.push(`${kind}/${item.metadata?.name}`);
    }
    if (items.length > CONTENTS_PER_KIND) {
      result.push(`${kind}/… (more than ${CONTENTS_PER_KIND})`);
    }
  }
  return result;
}

/**
 * Deletes a tenant's namespace (refusing one that is not the tenant's) and
 * waits, within the deadline, until the cluster has finished deleting it.
 * @public
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
): Promise<{ outcome: ClusterOutcome; objects?: ObjectResult[] }> {
  const existing = await withClusterTimeout(kc, options.timeoutMs, bounded =>
    checkNamespaceOwnership(
      KubernetesObjectApi.makeApiClient(bounded),
      namespace,
      options.tenant,
    ),
  );
  if (!existing) return { outcome: 'absent' };
  if (options.dryRun) {
    // What goes with it: the namespace, and what people would miss in it.
    const objects = await withClusterTimeout(kc, options.timeoutMs, bounded =>
      namespaceContents(bounded, namespace),
    );
    return {
      outcome: 'dry-run',
      objects: [
        { object: `Namespace/${namespace}`, change: 'would-delete' },
        ...objects.map(object => ({
          object,
          change: 'would-delete' as const,
        })),
      ],
    };
  }
  const uid = existing.metadata?.uid;
  // Already being deleted (a rerun, or an earlier run that timed out
  // waiting): only wait. Deleting again would answer 409.
  const terminating = Boolean(existing.metadata?.deletionTimestamp);
  await withClusterTimeout(kc, options.timeoutMs, async bounded => {
    if (terminating) return;
    try {
      // Preconditioned on the uid that was checked: if the namespace was
      // deleted and made again (by another team) since, nothing is deleted.
      await KubernetesObjectApi.makeApiClient(bounded).delete(
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        { preconditions: { uid } },
      );
    } catch (error) {
      if (
        statusOf(error) === 409 &&
        /Precondition failed/.test(apiMessage(error))
      ) {
        throw new ConflictError(
          `Namespace ${namespace} changed hands while it was being offboarded (it is no longer the one that belonged to ${stringifyEntityRef(
            options.tenant,
          )}); nothing was deleted.`,
        );
      }
      // 404: gone already; 409 otherwise: already being deleted. Wait.
      if (![404, 409].includes(statusOf(error) ?? 0))
        throw toError(error, `deleting Namespace/${namespace}`);
    }
  });
  const deadline = Date.now() + options.waitMs;
  for (;;) {
    const current = await withClusterTimeout(kc, options.timeoutMs, bounded =>
      readNamespace(KubernetesObjectApi.makeApiClient(bounded), namespace),
    );
    // Gone — or gone and made again by someone else, which is theirs.
    if (current?.metadata?.uid !== uid) return { outcome: 'deleted' };
    if (Date.now() > deadline) {
      throw new ForwardedError(
        `Namespace ${namespace} is still terminating after ${Math.round(
          options.waitMs / 1000,
        )} s`,
        new Error(terminatingReason(current)),
      );
    }
    await new Promise(resolve => setTimeout(resolve, 500));
  }
}

/** Why a namespace is still terminating, from its status conditions. */
function terminatingReason(namespace: V1Namespace | undefined): string {
  const conditions = (namespace?.status?.conditions ?? []).filter(
    c => c.status === 'True',
  );
  if (conditions.length === 0) {
    return 'deletion did not finish in time; the cluster reports no reason (is its namespace controller running?)';
  }
  return conditions.map(c => `${c.type}: ${c.message ?? c.reason}`).join('; ');
}

/**
 * Gives a tenant's namespace another quota: server-side applies its
 * ResourceQuota (the one the baseline rendered, with the new `hard`) under
 * the suite's field manager. The namespace must exist and be the tenant's;
 * one that is missing is an error (it was never onboarded here, or was
 * offboarded), never created — the dry run reports it `absent`. A rerun with the same quota changes nothing
 * (`unchanged`). The result's `detail` says what changes, and where the
 * namespace already uses more than a new limit.
 * @public
 */
export async function resizeTenantQuota(
  kc: KubeConfig,
  quota: V1ResourceQuota,
  options: ApplyOptions,
): Promise<{ outcome: ClusterOutcome; objects: ObjectResult[] }> {
  const namespace = quota.metadata!.namespace!;
  const dryRun = options.dryRun ?? false;
  return withClusterTimeout(kc, options.timeoutMs, async bounded => {
    const client = KubernetesObjectApi.makeApiClient(bounded);
    const existing = await checkNamespaceOwnership(
      client,
      namespace,
      options.tenant,
    );
    if (!existing && dryRun) {
      // The plan says so; the run itself fails here.
      return {
        outcome: 'absent' as const,
        objects: [
          {
            object: `Namespace/${namespace}`,
            change: 'absent' as const,
            detail:
              'not on this cluster: onboard it here first; resizing would fail here',
          },
        ],
      };
    }
    if (!existing || existing.metadata?.deletionTimestamp) {
      throw new NotFoundError(
        `Namespace ${namespace} is not on this cluster${
          existing ? ' any more (it is being deleted)' : ''
        }; onboard it here first`,
      );
    }
    let current: V1ResourceQuota | undefined;
    try {
      current = await client.read<V1ResourceQuota>({
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: { name: quota.metadata!.name!, namespace },
      });
    } catch (error) {
      if (statusOf(error) !== 404)
        throw toError(error, `reading ${describeObject(quota)}`);
    }
    const result = await apply(client, quota, dryRun, current?.metadata, {
      current,
    });
    const hard = quota.spec?.hard ?? {};
    const detail = describeQuotaChange(
      current?.spec?.hard,
      hard,
      current?.status?.used,
    );
    if (dryRun) return { outcome: 'dry-run', objects: [{ ...result, detail }] };
    // The quota applied by name into the namespace that was checked: still
    // that one (not deleted and made again by someone else meanwhile)?
    const after = await readNamespace(client, namespace);
    if (after?.metadata?.uid !== existing.metadata?.uid) {
      throw new ConflictError(
        `Namespace ${namespace} was deleted${
          after ? ' and made again' : ''
        } while it was being resized; check its quota and try again.`,
      );
    }
    // By the limits, not the resourceVersion: the quota controller moves
    // that whenever use changes.
    const changed = !current || quotaChanges(current.spec?.hard, hard).length;
    return {
      outcome: changed ? 'updated' : 'unchanged',
      objects: [
        { ...result, change: changed ? result.change : 'unchanged', detail },
      ],
    };
  });
}
