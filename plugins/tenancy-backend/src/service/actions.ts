import {
  AuthService,
  BackstageCredentials,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { ActionsRegistryService } from '@backstage/backend-plugin-api/alpha';
import {
  CompoundEntityRef,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError, isError } from '@backstage/errors';
import type {
  ClusterError,
  NamespaceSummary,
  QuotaUsage,
  TenantResponse,
  WorkloadHealth,
} from '@tenancy/plugin-tenancy-common';
import { param } from './params';
import { TenancyReads } from './reads';

/** An entity ref as given, or an InputError (never a TypeError, which would answer 500). */
function refOf(
  value: string,
  defaultKind: string,
  example: string,
): CompoundEntityRef {
  try {
    return parseEntityRef(value, { defaultKind, defaultNamespace: 'default' });
  } catch (error) {
    throw new InputError(
      `"${value.slice(0, 80)}" is not an entity ref; give e.g. ${example}`,
    );
  }
}

/** Most unhealthy workloads whose pods one `service-health` call reads. */
const MAX_WORKLOADS_TROUBLESHOT = 5;

function percent(ratio?: number) {
  return ratio === undefined ? undefined : Math.round(ratio * 100);
}

function errorText(error: ClusterError) {
  return `${error.kind}: ${error.message}`;
}

function fullest(quota: QuotaUsage[]) {
  let top: QuotaUsage | undefined;
  for (const q of quota) {
    if (q.ratio !== undefined && (!top || q.ratio > (top.ratio ?? 0))) top = q;
  }
  return top && { resource: top.resource, percent: percent(top.ratio)! };
}

function namespaceOut(ns: NamespaceSummary) {
  return {
    namespace: ns.name,
    cluster: ns.cluster,
    environment: ns.environment,
    phase: ns.phase,
    health: ns.workloads.total ? ns.workloads.state : 'no workloads',
    workloads: { total: ns.workloads.total, healthy: ns.workloads.healthy },
    quota: ns.quota.map(q => ({
      resource: q.resource,
      used: q.used,
      hard: q.hard,
      percent: percent(q.ratio),
    })),
    fullestQuota: fullest(ns.quota),
    limitRange: ns.limitRange,
    defaultDenyNetworkPolicy: ns.networkPolicies.defaultDeny,
  };
}

function tenantOut(view: TenantResponse) {
  return {
    team: view.tenant,
    namespaces: view.namespaces.map(namespaceOut),
    accounts: view.accounts.map(a => ({
      entityRef: a.entityRef,
      accountId: a.accountId,
      state: a.state,
      environment: a.environment,
    })),
    unreadableClusters: view.clusterErrors.map(c => ({
      cluster: c.cluster,
      error: errorText(c.error),
    })),
  };
}

function workloadOut(w: WorkloadHealth) {
  return {
    kind: w.kind,
    namespace: w.namespace,
    name: w.name,
    state: w.state,
    ready: w.ready,
    desired: w.desired,
    restarts: w.restarts,
    crashLooping: w.crashLooping,
    pending: w.pending,
    imagePullFailures: w.imagePullFailures,
  };
}

/**
 * Registers the suite's reads in Backstage's actions registry, so that AI
 * assistants reach them as MCP tools (`@backstage/plugin-mcp-actions-backend`)
 * and the Backstage CLI as actions. Each answers through the same reads, with
 * the same permission checks, as the `/api/tenancy` routes: a member of one
 * team learns nothing about another's.
 */
export function registerTenancyActions(options: {
  actionsRegistry: ActionsRegistryService;
  reads: TenancyReads;
  auth: AuthService;
  userInfo: UserInfoService;
}) {
  const { actionsRegistry, reads, auth, userInfo } = options;

  /** The teams to answer for: the one asked for, or every team of the caller. */
  const teamsOf = async (
    credentials: BackstageCredentials,
    team: string | undefined,
  ): Promise<string[]> => {
    if (team) {
      const ref = refOf(team, 'group', 'group:default/team-payments');
      if (ref.kind.toLocaleLowerCase('en-US') !== 'group') {
        throw new InputError(
          `"${team}" is not a team: give a Group entity ref, e.g. group:default/team-payments`,
        );
      }
      param(ref.namespace, 'namespace');
      param(ref.name, 'name', 'group name');
      return [stringifyEntityRef(ref)];
    }
    if (!auth.isPrincipal(credentials, 'user')) {
      throw new InputError(
        'Only a signed-in user has teams of their own; name the team (team: group:default/…)',
      );
    }
    const info = await userInfo.getUserInfo(credentials);
    return info.ownershipEntityRefs.filter(ref => ref.startsWith('group:'));
  };

  actionsRegistry.register({
    name: 'list-team-namespaces',
    title: "List my teams' namespaces",
    description:
      "Lists the Kubernetes namespaces of the caller's teams (or of one team) on every cluster, with each namespace's quota used vs hard, its fullest quota resource, workload health and policies, and the team's AWS accounts. Only members of a team (and the platform team) may read it.",
    attributes: { readOnly: true, idempotent: true },
    schema: {
      input: z =>
        z.object({
          team: z
            .string()
            .min(1)
            .optional()
            .describe(
              'A Group entity ref, e.g. group:default/team-payments; default: every team you are a member of',
            ),
        }),
      output: z => {
        const quota = z.object({
          resource: z.string(),
          used: z.string(),
          hard: z.string(),
          percent: z.number().optional(),
        });
        return z.object({
          teams: z.array(
            z.object({
              team: z.string(),
              namespaces: z.array(
                z.object({
                  namespace: z.string(),
                  cluster: z.string(),
                  environment: z.string().optional(),
                  phase: z.string().optional(),
                  health: z.string(),
                  workloads: z.object({
                    total: z.number(),
                    healthy: z.number(),
                  }),
                  quota: z.array(quota),
                  fullestQuota: z
                    .object({ resource: z.string(), percent: z.number() })
                    .optional(),
                  limitRange: z.boolean(),
                  defaultDenyNetworkPolicy: z.boolean(),
                }),
              ),
              accounts: z.array(
                z.object({
                  entityRef: z.string(),
                  accountId: z.string().optional(),
                  state: z.string().optional(),
                  environment: z.string().optional(),
                }),
              ),
              unreadableClusters: z.array(
                z.object({ cluster: z.string(), error: z.string() }),
              ),
            }),
          ),
        });
      },
    },
    action: async ({ input, credentials }) => {
      const teams = await teamsOf(credentials, input.team);
      const views = await Promise.all(
        teams.map(team => reads.tenant(credentials, team)),
      );
      return { output: { teams: views.map(tenantOut) } };
    },
  });

  actionsRegistry.register({
    name: 'service-health',
    title: 'Why is this service unhealthy?',
    description:
      "A service's (Component's) workloads on every cluster with their health, Warning events, and for each workload that is not healthy its pods: container states, the last termination reason and exit code, pod events and the last log lines. Only namespaces the caller may read are searched.",
    attributes: { readOnly: true, idempotent: true },
    schema: {
      input: z =>
        z.object({
          entityRef: z
            .string()
            .min(1)
            .describe(
              'The service, e.g. component:default/payments-api (or just payments-api)',
            ),
          logLines: z
            .number()
            .int()
            .min(0)
            .max(100)
            .optional()
            .describe('Last log lines per container (default 20)'),
        }),
      output: z => {
        const event = z.object({
          object: z.string(),
          reason: z.string(),
          message: z.string(),
          count: z.number(),
        });
        const workload = z.object({
          kind: z.string(),
          namespace: z.string(),
          name: z.string(),
          state: z.string(),
          ready: z.number(),
          desired: z.number(),
          restarts: z.number(),
          crashLooping: z.number(),
          pending: z.number(),
          imagePullFailures: z.number(),
        });
        return z.object({
          entityRef: z.string(),
          state: z.string(),
          clusters: z.array(
            z.object({
              cluster: z.string(),
              environment: z.string().optional(),
              state: z.string(),
              error: z.string().optional(),
              workloads: z.array(workload),
              events: z.array(event),
            }),
          ),
          unhealthyWorkloads: z.array(
            z.object({
              cluster: z.string(),
              namespace: z.string(),
              kind: z.string(),
              name: z.string(),
              error: z.string().optional(),
              pods: z.array(
                z.object({
                  name: z.string(),
                  phase: z.string().optional(),
                  reason: z.string().optional(),
                  ready: z.boolean(),
                  restarts: z.number(),
                  containers: z.array(
                    z.object({
                      name: z.string(),
                      state: z.string(),
                      reason: z.string().optional(),
                      message: z.string().optional(),
                      restartCount: z.number(),
                      lastTermination: z
                        .object({
                          reason: z.string().optional(),
                          exitCode: z.number().optional(),
                          finishedAt: z.string().optional(),
                        })
                        .optional(),
                    }),
                  ),
                  events: z.array(event),
                  logs: z.array(
                    z.object({
                      container: z.string(),
                      previous: z.boolean(),
                      lines: z.array(z.string()),
                      error: z.string().optional(),
                    }),
                  ),
                }),
              ),
            }),
          ),
        });
      },
    },
    action: async ({ input, credentials }) => {
      const ref = refOf(
        input.entityRef,
        'component',
        'component:default/payments-api',
      );
      const health = await reads.entityHealth(credentials, {
        kind: param(ref.kind, 'kind'),
        namespace: param(ref.namespace, 'namespace'),
        name: param(ref.name, 'name'),
      });
      const unhealthy = health.clusters
        .flatMap(c =>
          c.workloads
            .filter(w => w.state !== 'healthy')
            .map(w => ({ cluster: c.cluster, workload: w })),
        )
        .slice(0, MAX_WORKLOADS_TROUBLESHOT);
      const troubleshot = await Promise.all(
        unhealthy.map(async ({ cluster, workload }) => {
          const where = {
            cluster,
            namespace: workload.namespace,
            kind: workload.kind,
            name: workload.name,
          };
          try {
            const pods = await reads.workloadPods(credentials, {
              ...where,
              tailLines: input.logLines ?? 20,
            });
            return {
              ...where,
              pods: pods.pods.map(p => ({
                name: p.name,
                phase: p.phase,
                reason: p.reason,
                ready: p.ready,
                restarts: p.restarts,
                containers: p.containers.map(c => ({
                  name: c.name,
                  state: c.state,
                  reason: c.reason,
                  message: c.message,
                  restartCount: c.restartCount,
                  lastTermination: c.lastTermination && {
                    reason: c.lastTermination.reason,
                    exitCode: c.lastTermination.exitCode,
                    finishedAt: c.lastTermination.finishedAt,
                  },
                })),
                events: p.events,
                logs: p.logs.map(l => ({
                  container: l.container,
                  previous: l.previous,
                  lines: l.lines,
                  error: l.error,
                })),
              })),
            };
          } catch (error) {
            // The same redacted message the troubleshooting route gives.
            return {
              ...where,
              error: isError(error) ? error.message : String(error),
              pods: [],
            };
          }
        }),
      );
      return {
        output: {
          entityRef: health.entityRef,
          state: health.state,
          clusters: health.clusters.map(c => ({
            cluster: c.cluster,
            environment: c.environment,
            state: c.state,
            error: c.error && errorText(c.error),
            workloads: c.workloads.map(workloadOut),
            events: c.events,
          })),
          unhealthyWorkloads: troubleshot,
        },
      };
    },
  });

  actionsRegistry.register({
    name: 'fleet',
    title: 'The fleet of tenant clusters',
    description:
      'Every tenant cluster with its environment, reachability, Kubernetes version, nodes, namespaces and tenants, and why a cluster could not be read. For the platform team (tenancy.fleet.read); others are refused.',
    attributes: { readOnly: true, idempotent: true },
    schema: {
      input: z => z.object({}),
      output: z =>
        z.object({
          generatedAt: z.string(),
          clusters: z.array(
            z.object({
              name: z.string(),
              environment: z.string().optional(),
              reachable: z.boolean(),
              version: z.string().optional(),
              nodes: z
                .object({ ready: z.number(), total: z.number() })
                .optional(),
              namespaces: z.number().optional(),
              tenants: z.number().optional(),
              error: z.string().optional(),
            }),
          ),
        }),
    },
    action: async ({ credentials }) => {
      const fleet = await reads.fleet(credentials);
      return {
        output: {
          generatedAt: fleet.generatedAt,
          clusters: fleet.clusters.map(c => ({
            name: c.name,
            environment: c.environment,
            reachable: c.reachable,
            version: c.version,
            nodes: c.nodes,
            namespaces: c.namespaces,
            tenants: c.tenants,
            error: c.error && errorText(c.error),
          })),
        },
      };
    },
  });
}
