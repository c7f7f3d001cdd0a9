import { parseEntityRef } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import {
  ClusterDetail,
  EntityHealth,
  ActingTeamsResponse,
  ClusterAccessResponse,
  EnvironmentsResponse,
  FleetResponse,
  QuotaPresetsResponse,
  TeamHealth,
  TenantResponse,
  WorkloadPods,
  WorkloadPodsRequest,
} from './api';

/** What the client needs: Backstage's DiscoveryApi and FetchApi (or the backend's equivalents). @public */
export interface TenancyClientOptions {
  discoveryApi: { getBaseUrl(pluginId: string): Promise<string> };
  fetchApi: { fetch: typeof fetch };
}

/** The frontend's (or another backend's) typed view of `/api/tenancy`. @public */
export interface TenancyApi {
  getFleet(): Promise<FleetResponse>;
  getCluster(name: string): Promise<ClusterDetail>;
  getTenant(groupRef: string): Promise<TenantResponse>;
  getEntityHealth(entityRef: string): Promise<EntityHealth>;
  getTeamHealth(groupRef: string): Promise<TeamHealth>;
  /** A workload's pods on one cluster: container states, events and last log lines. */
  getWorkloadPods(request: WorkloadPodsRequest): Promise<WorkloadPods>;
  /** The environments the platform offers, with their clusters and whether they answer. */
  getEnvironments(): Promise<EnvironmentsResponse>;
  /** The namespace sizes (quota presets) with their real numbers. */
  getQuotaPresets(): Promise<QuotaPresetsResponse>;
  /** The teams the caller may act for: their own, or every team for the platform team. */
  getActingTeams(): Promise<ActingTeamsResponse>;
  /**
   * The kubeconfig of a team's namespaces (all of them, or those on some
   * clusters / of one namespace name) with the command that installs it.
   */
  getClusterAccess(
    groupRef: string,
    filter?: { clusters?: string[]; namespace?: string },
  ): Promise<ClusterAccessResponse>;
}

function refPath(ref: string, defaultKind: string): string {
  const { kind, namespace, name } = parseEntityRef(ref, { defaultKind });
  return [kind, namespace, name].map(p => encodeURIComponent(p)).join('/');
}

/** @public */
export class TenancyClient implements TenancyApi {
  constructor(private readonly options: TenancyClientOptions) {}

  private async get<T>(path: string): Promise<T> {
    const base = await this.options.discoveryApi.getBaseUrl('tenancy');
    const response = await this.options.fetchApi.fetch(`${base}${path}`);
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return (await response.json()) as T;
  }

  getFleet() {
    return this.get<FleetResponse>('/fleet');
  }

  getCluster(name: string) {
    return this.get<ClusterDetail>(`/clusters/${encodeURIComponent(name)}`);
  }

  getTenant(groupRef: string) {
    const [, namespace, name] = refPath(groupRef, 'group').split('/');
    return this.get<TenantResponse>(`/tenants/${namespace}/${name}`);
  }

  getEntityHealth(entityRef: string) {
    return this.get<EntityHealth>(
      `/entities/${refPath(entityRef, 'component')}/health`,
    );
  }

  getTeamHealth(groupRef: string) {
    const [, namespace, name] = refPath(groupRef, 'group').split('/');
    return this.get<TeamHealth>(`/teams/${namespace}/${name}/health`);
  }

  getWorkloadPods(request: WorkloadPodsRequest) {
    const { cluster, namespace, kind, name, tailLines } = request;
    const path = [
      'clusters',
      cluster,
      'namespaces',
      namespace,
      kind === 'StatefulSet' ? 'statefulsets' : 'deployments',
      name,
      'pods',
    ]
      .map(p => encodeURIComponent(p))
      .join('/');
    const query = tailLines ? `?tailLines=${tailLines}` : '';
    return this.get<WorkloadPods>(`/${path}${query}`);
  }

  getEnvironments() {
    return this.get<EnvironmentsResponse>('/environments');
  }

  getQuotaPresets() {
    return this.get<QuotaPresetsResponse>('/quota-presets');
  }

  getActingTeams() {
    return this.get<ActingTeamsResponse>('/teams');
  }

  getClusterAccess(
    groupRef: string,
    filter: { clusters?: string[]; namespace?: string } = {},
  ) {
    const [, namespace, name] = refPath(groupRef, 'group').split('/');
    const query = new URLSearchParams();
    for (const cluster of filter.clusters ?? [])
      query.append('cluster', cluster);
    if (filter.namespace) query.set('namespace', filter.namespace);
    const q = query.toString();
    return this.get<ClusterAccessResponse>(
      `/cluster-access/teams/${namespace}/${name}/kubeconfig${
        q ? `?${q}` : ''
      }`,
    );
  }
}
