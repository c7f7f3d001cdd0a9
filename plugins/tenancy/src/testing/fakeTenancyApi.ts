import { ResponseError } from '@backstage/errors';
import type {
  ActingTeamsResponse,
  ClusterAccessResponse,
  ClusterDetail,
  EntityHealth,
  EnvironmentsResponse,
  FleetResponse,
  QuotaPresetsResponse,
  TeamHealth,
  TenancyApi,
  TenantResponse,
  WorkloadPods,
  WorkloadPodsRequest,
} from '@tenancy/plugin-tenancy-common';

/**
 * A TenancyApi for component tests: each method answers what the test set,
 * an error, or never (to show loading). The views only need the API's
 * contract here; the backend behind it is tested against the real sandbox
 * clusters in @tenancy/plugin-tenancy-backend and the end-to-end tests.
 */
type Answer<T> = T | Error | 'pending';

export class FakeTenancyApi implements TenancyApi {
  fleet: Answer<FleetResponse> = 'pending';
  clusters: Record<string, Answer<ClusterDetail>> = {};
  tenants: Record<string, Answer<TenantResponse>> = {};
  entityHealth: Record<string, Answer<EntityHealth>> = {};
  teamHealth: Record<string, Answer<TeamHealth>> = {};
  /** Keyed `<cluster>/<namespace>/<kind>/<name>`. */
  workloadPods: Record<string, Answer<WorkloadPods>> = {};
  environments: Answer<EnvironmentsResponse> = 'pending';
  quotaPresets: Answer<QuotaPresetsResponse> = 'pending';
  actingTeams: Answer<ActingTeamsResponse> = 'pending';
  /** Keyed by group ref, whatever the filter (the call records it). */
  clusterAccess: Record<string, Answer<ClusterAccessResponse>> = {};
  readonly calls: string[] = [];

  constructor(init: Partial<FakeTenancyApi> = {}) {
    Object.assign(this, init);
  }

  private answer<T>(call: string, answer: Answer<T> | undefined): Promise<T> {
    this.calls.push(call);
    if (answer === undefined) {
      return Promise.reject(
        new Error(`FakeTenancyApi: nothing set for ${call}`),
      );
    }
    if (answer === 'pending') return new Promise<T>(() => {});
    if (answer instanceof Error) return Promise.reject(answer);
    return Promise.resolve(answer);
  }

  getFleet() {
    return this.answer('getFleet', this.fleet);
  }
  getCluster(name: string) {
    return this.answer(`getCluster ${name}`, this.clusters[name]);
  }
  getTenant(groupRef: string) {
    return this.answer(`getTenant ${groupRef}`, this.tenants[groupRef]);
  }
  getEntityHealth(entityRef: string) {
    return this.answer(
      `getEntityHealth ${entityRef}`,
      this.entityHealth[entityRef],
    );
  }
  getTeamHealth(groupRef: string) {
    return this.answer(`getTeamHealth ${groupRef}`, this.teamHealth[groupRef]);
  }
  getWorkloadPods({ cluster, namespace, kind, name }: WorkloadPodsRequest) {
    const key = `${cluster}/${namespace}/${kind}/${name}`;
    return this.answer(`getWorkloadPods ${key}`, this.workloadPods[key]);
  }
  getEnvironments() {
    return this.answer('getEnvironments', this.environments);
  }
  getQuotaPresets() {
    return this.answer('getQuotaPresets', this.quotaPresets);
  }
  getActingTeams() {
    return this.answer('getActingTeams', this.actingTeams);
  }
  /** Recorded as `getClusterAccess <groupRef>[ cluster=…&namespace=…]`. */
  getClusterAccess(
    groupRef: string,
    filter: { clusters?: string[]; namespace?: string } = {},
  ) {
    const query = new URLSearchParams();
    for (const cluster of filter.clusters ?? [])
      query.append('cluster', cluster);
    if (filter.namespace) query.set('namespace', filter.namespace);
    const q = query.toString();
    return this.answer(
      `getClusterAccess ${groupRef}${q ? ` ${q}` : ''}`,
      this.clusterAccess[groupRef],
    );
  }
}

/** The error `TenancyClient` throws for a backend answer of `status` with Backstage's error body. */
export async function responseError(
  status: number,
  name: string,
  message: string,
): Promise<ResponseError> {
  const body = JSON.stringify({
    error: { name, message },
    request: { method: 'GET', url: '/api/tenancy/x' },
    response: { statusCode: status },
  });
  return ResponseError.fromResponse({
    ok: false,
    status,
    statusText:
      { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' }[status] ??
      'Internal Server Error',
    url: 'http://localhost:7007/api/tenancy/x',
    type: 'basic',
    redirected: false,
    // Only the content type is read; jsdom has no Headers of its own.
    headers: {
      get: (header: string) =>
        header.toLowerCase() === 'content-type' ? 'application/json' : null,
    } as Headers,
    text: async () => body,
  });
}
