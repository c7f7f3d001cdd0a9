/**
 * What a test gets on the running sandbox: clusters with a KubeConfig per
 * identity, Gitea as the portal, an Organizations client with an access key
 * of its own, and a `cleanup()` that undoes what the test made, so tests can
 * share one sandbox without seeing each other's namespaces, repositories or
 * fault rules.
 */
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { FaultClient } from './aws/faults';
import { readGitCredentials } from './gitea';
import { kubeConfigFor } from './kube';
import { stateDir } from './paths';
import { blackholeCluster, readState, restoreCluster } from './sandbox';
import type { SandboxClusterState, SandboxState } from './types';

export interface SandboxCluster extends SandboxClusterState {
  /** A KubeConfig for `admin`, `platform`, or a tenant user (`alice`, `bob`, `carol`). */
  kubeConfig(identity: string): KubeConfig;
}

/** The sandbox's Gitea, as the portal sees it. */
export interface SandboxGit {
  /** e.g. `http://127.0.0.1:41234` (no trailing slash). */
  url: string;
  /** `127.0.0.1:<port>`: for `repoUrl`s (`<host>?owner=team-payments&repo=x`). */
  host: string;
  /** The admin user the token belongs to (basic auth: user + token). */
  user: string;
  /** The portal's token (`Authorization: token …`, or basic auth's password). */
  token: string;
  /** One organization per seeded team. */
  orgs: string[];
  /** Calls Gitea's API (`path` below /api/v1) with the portal's token. */
  api(
    path: string,
    init?: { method?: string; body?: unknown; token?: string | null },
  ): Promise<{ status: number; json: any }>;
}

export class SandboxFixtures {
  readonly state: SandboxState;
  readonly clusters: SandboxCluster[];
  private readonly namespaces: Array<{
    cluster: SandboxCluster;
    name: string;
  }> = [];
  private readonly accessKeys: string[] = [];
  private readonly repos: Array<{ org: string; name: string }> = [];
  private readonly blackholed = new Set<string>();

  constructor(state: SandboxState) {
    this.state = state;
    this.clusters = state.clusters.map(cluster => ({
      ...cluster,
      kubeConfig: (identity: string) => {
        const id = cluster.identities[identity];
        if (!id) throw new Error(`No identity ${identity} on ${cluster.name}`);
        return kubeConfigFor(cluster, id.user, id.token);
      },
    }));
  }

  cluster(name: string): SandboxCluster {
    const cluster = this.clusters.find(c => c.name === name);
    if (!cluster) throw new Error(`No sandbox cluster ${name}`);
    return cluster;
  }

  /** A name no other test uses: `${prefix}-<8 hex>`. */
  uniqueName(prefix = 't'): string {
    return `${prefix}-${randomBytes(4).toString('hex')}`;
  }

  /** Creates a namespace (as admin) that `cleanup()` deletes. */
  async createNamespace(
    cluster: SandboxCluster,
    options: { name?: string; labels?: Record<string, string> } = {},
  ): Promise<string> {
    const name = options.name ?? this.uniqueName();
    await cluster
      .kubeConfig('admin')
      .makeApiClient(CoreV1Api)
      .createNamespace({
        body: { metadata: { name, labels: options.labels } },
      });
    this.namespaces.push({ cluster, name });
    return name;
  }

  /** Has `cleanup()` delete a namespace the test made some other way. */
  deleteNamespaceOnCleanup(cluster: SandboxCluster, name: string): void {
    this.namespaces.push({ cluster, name });
  }

  /** The fault layer's admin client. */
  faults(): FaultClient {
    return new FaultClient(this.state.aws.endpoint);
  }

  /**
   * An Organizations client through the fault layer with an access key of its
   * own: fault rules matched on that key affect this test only.
   */
  organizations(options: { maxAttempts?: number } = {}): {
    client: OrganizationsClient;
    accessKeyId: string;
  } {
    const accessKeyId = `test-${randomBytes(6).toString('hex')}`;
    this.accessKeys.push(accessKeyId);
    return {
      accessKeyId,
      client: new OrganizationsClient({
        endpoint: this.state.aws.endpoint,
        region: this.state.aws.region,
        credentials: { accessKeyId, secretAccessKey: 'sandbox' },
        maxAttempts: options.maxAttempts,
      }),
    };
  }

  /** The sandbox's Gitea: URL, host, the portal's user and token, the teams' orgs. */
  git(): SandboxGit {
    if (!this.state.git) {
      throw new Error(
        'The running sandbox has no git host (started before Gitea was added); run `yarn sandbox up` again.',
      );
    }
    const { url, host, orgs } = this.state.git;
    const { user, token } = readGitCredentials(stateDir());
    return {
      url,
      host,
      user,
      token,
      orgs,
      api: async (apiPath, init = {}) => {
        const auth = init.token === undefined ? token : init.token;
        const response = await fetch(`${url}/api/v1${apiPath}`, {
          method: init.method ?? 'GET',
          headers: {
            ...(auth ? { Authorization: `token ${auth}` } : {}),
            ...(init.body ? { 'Content-Type': 'application/json' } : {}),
          },
          body: init.body ? JSON.stringify(init.body) : undefined,
        });
        const text = await response.text();
        let json: any = text;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          // not JSON: keep the text
        }
        return { status: response.status, json };
      },
    };
  }

  /**
   * Creates a repository in one of the teams' organizations (as the portal)
   * that `cleanup()` deletes.
   */
  async createRepo(
    org: string,
    options: { name?: string; private?: boolean; autoInit?: boolean } = {},
  ): Promise<{ name: string; cloneUrl: string; htmlUrl: string }> {
    const name = options.name ?? this.uniqueName('repo');
    const { status, json } = await this.git().api(`/orgs/${org}/repos`, {
      method: 'POST',
      body: {
        name,
        private: options.private ?? false,
        auto_init: options.autoInit ?? false,
        default_branch: 'main',
      },
    });
    if (status !== 201) {
      throw new Error(
        `creating ${org}/${name} failed: ${status} ${JSON.stringify(json)}`,
      );
    }
    this.repos.push({ org, name });
    return { name, cloneUrl: json.clone_url, htmlUrl: json.html_url };
  }

  /**
   * Deletes this repository in `cleanup()`: for repositories a test had
   * something else create (e.g. the scaffolder's `publish:gitea`).
   */
  trackRepo(org: string, name: string): void {
    this.repos.push({ org, name });
  }

  /** Deletes a repository now; a missing one is fine. */
  async deleteRepo(org: string, name: string): Promise<void> {
    const { status, json } = await this.git().api(`/repos/${org}/${name}`, {
      method: 'DELETE',
    });
    if (status !== 204 && status !== 404) {
      throw new Error(
        `deleting ${org}/${name} failed: ${status} ${JSON.stringify(json)}`,
      );
    }
  }

  /**
   * Black-holes a cluster on its real endpoint (its kube-apiserver frozen:
   * connections are accepted, nothing answers) until {@link restoreCluster}
   * or `cleanup()`.
   */
  blackholeCluster(name: string): void {
    this.cluster(name);
    blackholeCluster(name);
    this.blackholed.add(name);
  }

  /** Lets a black-holed cluster answer again and waits until it does. */
  async restoreCluster(name: string): Promise<void> {
    restoreCluster(name);
    this.blackholed.delete(name);
    const core = this.cluster(name)
      .kubeConfig('admin')
      .makeApiClient(CoreV1Api);
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await Promise.race([
          core.listNamespace({ limit: 1 }),
          new Promise((_, reject) =>
            setTimeout(
              () => reject(new Error(`${name} did not answer within 5 s`)),
              5_000,
            ).unref(),
          ),
        ]);
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise(resolve => setTimeout(resolve, 200));
      }
    }
  }

  /**
   * Undoes what this test did: restores black-holed clusters, deletes its
   * repositories and namespaces, drops its fault rules. Every item is tried;
   * the first failure is thrown at the end.
   */
  async cleanup(): Promise<void> {
    const failures: unknown[] = [];
    const attempt = async (fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (error) {
        failures.push(error);
      }
    };
    for (const name of [...this.blackholed]) {
      await attempt(() => this.restoreCluster(name));
    }
    await Promise.all(
      this.repos
        .splice(0)
        .map(({ org, name }) =>
          this.deleteRepo(org, name).catch(() => undefined),
        ),
    );
    await Promise.all(
      this.namespaces.splice(0).map(({ cluster, name }) =>
        cluster
          .kubeConfig('admin')
          .makeApiClient(CoreV1Api)
          .deleteNamespace({ name })
          .catch(() => undefined),
      ),
    );
    if (this.accessKeys.length) {
      const keys = new Set(this.accessKeys.splice(0));
      await attempt(async () => {
        const faults = this.faults();
        const listing = await faults.list();
        await Promise.all(
          listing.rules
            .filter(
              r =>
                r.rule.match?.accessKeyId && keys.has(r.rule.match.accessKeyId),
            )
            .map(r => faults.remove(r.id)),
        );
      });
    }
    if (failures.length) throw failures[0];
  }
}

/**
 * Fixtures on the running sandbox. The test command starts the sandbox once
 * per run; run `yarn sandbox up` first when running tests alone.
 */
export function connectSandbox(): SandboxFixtures {
  return new SandboxFixtures(readState());
}
