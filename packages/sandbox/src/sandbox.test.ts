import {
  CreateAccountCommand,
  DescribeCreateAccountStatusCommand,
  ListAccountsCommand,
  ListOrganizationalUnitsForParentCommand,
  ListRootsCommand,
  TooManyRequestsException,
} from '@aws-sdk/client-organizations';
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  RbacAuthorizationV1Api,
  V1Pod,
  VersionApi,
} from '@kubernetes/client-node';
import { connectSandbox, SandboxCluster, SandboxFixtures } from './index';
import { versions } from './versions';

// Real clusters, real controllers: namespace deletion and crash-loop restarts
// take tens of seconds.
jest.setTimeout(120_000);

let sandbox: SandboxFixtures;
beforeAll(() => {
  sandbox = connectSandbox();
});
afterEach(async () => {
  await sandbox.cleanup();
});

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 90_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out waiting for ${what}${last ? ` (last error: ${last})` : ''}`,
      );
    }
    await new Promise(resolve => setTimeout(resolve, 500));
  }
}

async function statusOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
    return 200;
  } catch (error) {
    if (error instanceof ApiException) return error.code;
    throw error;
  }
}

function core(cluster: SandboxCluster, identity = 'admin') {
  return cluster.kubeConfig(identity).makeApiClient(CoreV1Api);
}

const pod = (name: string): V1Pod => ({
  metadata: { name },
  spec: {
    containers: [{ name: 'app', image: 'registry.example.com/probe:1' }],
  },
});

describe('clusters', () => {
  it('has three clusters, each answering /version with the pinned version over TLS verified by its own CA', async () => {
    expect(sandbox.clusters.map(c => c.name)).toEqual([
      'sandbox-a',
      'sandbox-b',
      'sandbox-c',
    ]);
    const cas = new Set(sandbox.clusters.map(c => c.caData));
    expect(cas.size).toBe(3);
    for (const cluster of sandbox.clusters) {
      const version = await cluster
        .kubeConfig('platform')
        .makeApiClient(VersionApi)
        .getCode();
      expect(version.gitVersion).toBe(versions.kubernetes);
    }
  });

  it("refuses a client that trusts another cluster's CA", async () => {
    const [a, b] = sandbox.clusters;
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'b-with-a-ca', server: b.url, caData: a.caData }],
      users: [{ name: 'admin', token: b.identities.admin.token }],
      contexts: [{ name: 'c', cluster: 'b-with-a-ca', user: 'admin' }],
      currentContext: 'c',
    });
    const error: Error & { cause?: { code?: string } } = await kc
      .makeApiClient(VersionApi)
      .getCode()
      .then(
        () => new Error('connected'),
        e => e,
      );
    // Node's TLS verification fails: the chain ends at a CA this client does not trust.
    expect(error.cause?.code).toMatch(
      /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|CERT/,
    );
  });

  it("lets the portal's identity read workloads but refuses what its ClusterRole does not grant", async () => {
    const cluster = sandbox.cluster('sandbox-a');
    const platform = core(cluster, 'platform');
    const pods = await platform.listPodForAllNamespaces();
    expect(pods.items.length).toBeGreaterThan(0);

    expect(await statusOf(platform.listSecretForAllNamespaces())).toBe(403);
    expect(
      await statusOf(
        platform.readNamespacedSecret({ name: 'x', namespace: 'payments' }),
      ),
    ).toBe(403);

    const rbac = cluster
      .kubeConfig('platform')
      .makeApiClient(RbacAuthorizationV1Api);
    expect(
      await statusOf(
        rbac.createClusterRoleBinding({
          body: {
            metadata: { name: sandbox.uniqueName('escalate') },
            roleRef: {
              apiGroup: 'rbac.authorization.k8s.io',
              kind: 'ClusterRole',
              name: 'cluster-admin',
            },
            subjects: [
              {
                apiGroup: 'rbac.authorization.k8s.io',
                kind: 'Group',
                name: 'team-payments',
              },
            ],
          },
        }),
      ),
    ).toBe(403);
    // It may write RoleBindings, but the API server's escalation check stops
    // it binding anything but the two tenant roles.
    const namespace = await sandbox.createNamespace(cluster);
    expect(
      await statusOf(
        rbac.createNamespacedRoleBinding({
          namespace,
          body: {
            metadata: { name: 'admin-for-tenant' },
            roleRef: {
              apiGroup: 'rbac.authorization.k8s.io',
              kind: 'ClusterRole',
              name: 'cluster-admin',
            },
            subjects: [
              {
                apiGroup: 'rbac.authorization.k8s.io',
                kind: 'Group',
                name: 'team-payments',
              },
            ],
          },
        }),
      ),
    ).toBe(403);
  });
});

describe('cluster faults', () => {
  // Freezing a cluster is tested end to end in the e2e suite, which runs
  // serially (packages/app/e2e-tests/tenancy.test.ts): here, jest's parallel
  // workers use the same clusters at the same time.
  it('says which clusters exist when asked to black-hole an unknown one', () => {
    expect(() => sandbox.blackholeCluster('sandbox-z')).toThrow(
      'No sandbox cluster sandbox-z',
    );
  });
});

describe('simulated nodes and workloads', () => {
  it('brings a seeded healthy Deployment to its Ready replicas', async () => {
    const apps = sandbox
      .cluster('sandbox-a')
      .kubeConfig('admin')
      .makeApiClient(AppsV1Api);
    const ready = await eventually('payments-api to be ready', async () => {
      const d = await apps.readNamespacedDeployment({
        name: 'payments-api',
        namespace: 'payments',
      });
      return d.status?.readyReplicas === d.spec?.replicas
        ? d.status?.readyReplicas
        : undefined;
    });
    expect(ready).toBe(2);
  });

  it('shows the crash-looping service restarting again and again', async () => {
    const api = core(sandbox.cluster('sandbox-a'));
    const restarts = await eventually(
      'search-indexer to restart twice',
      async () => {
        const pods = await api.listNamespacedPod({
          namespace: 'search',
          labelSelector: 'backstage.io/kubernetes-id=search-indexer',
        });
        const status = pods.items[0]?.status?.containerStatuses?.[0];
        return status && status.restartCount >= 2 ? status : undefined;
      },
    );
    expect(restarts.state?.waiting?.reason).toBe('CrashLoopBackOff');
    expect(restarts.ready).toBe(false);
  });

  it("serves the crash-looping service's logs through the kubelet API, the run before the restart too, to the portal's identity and the team", async () => {
    const cluster = sandbox.cluster('sandbox-a');
    const [indexer] = (
      await core(cluster).listNamespacedPod({
        namespace: 'search',
        labelSelector: 'backstage.io/kubernetes-id=search-indexer',
      })
    ).items;
    const log = (identity: string, previous: boolean) =>
      core(cluster, identity).readNamespacedPodLog({
        name: indexer.metadata!.name!,
        namespace: 'search',
        container: 'app',
        tailLines: 2,
        previous,
      });
    const current = await log('platform', false);
    expect(current.trimEnd().split('\n')).toHaveLength(2);
    expect(current).toMatch(
      /FATAL cannot start without the search cluster; exiting with status 1\n$/,
    );
    const previous = await log('bob', true);
    expect(previous).toMatch(/FATAL cannot start/);
    expect(previous).not.toBe(current);
    // Another team has no binding in the namespace.
    expect(await statusOf(log('alice', false))).toBe(403);
  });

  it('leaves the pending service unscheduled with a FailedScheduling event', async () => {
    const api = core(sandbox.cluster('sandbox-c'));
    const event = await eventually('a FailedScheduling event', async () => {
      const events = await api.listNamespacedEvent({ namespace: 'checkout' });
      return events.items.find(
        e =>
          e.reason === 'FailedScheduling' &&
          e.involvedObject.name?.startsWith('checkout-web'),
      );
    });
    expect(event.type).toBe('Warning');
    const pods = await api.listNamespacedPod({
      namespace: 'checkout',
      labelSelector: 'backstage.io/kubernetes-id=checkout-web',
    });
    expect(pods.items.map(p => p.status?.phase)).toEqual([
      'Pending',
      'Pending',
    ]);
  });

  it('computes ResourceQuota usage for a namespace with pods', async () => {
    const api = core(sandbox.cluster('sandbox-a'));
    const used = await eventually('quota usage to count the pods', async () => {
      const quota = await api.readNamespacedResourceQuota({
        name: 'tenant-quota',
        namespace: 'payments',
      });
      return quota.status?.used?.pods === '3' ? quota.status.used : undefined;
    });
    // payments-api (2) and ledger-worker (1), 100m CPU requested each.
    expect(used['requests.cpu']).toBe('300m');
  });

  it('finishes deleting a namespace that had running pods', async () => {
    const cluster = sandbox.cluster('sandbox-b');
    const api = core(cluster);
    const namespace = await sandbox.createNamespace(cluster);
    await api.createNamespacedPod({ namespace, body: pod('doomed') });
    await eventually('the pod to run', async () => {
      const p = await api.readNamespacedPod({ name: 'doomed', namespace });
      return p.status?.phase === 'Running' ? true : undefined;
    });
    await api.deleteNamespace({ name: namespace });
    const gone = await eventually('the namespace to be gone', async () =>
      (await statusOf(api.readNamespace({ name: namespace }))) === 404
        ? true
        : undefined,
    );
    expect(gone).toBe(true);
  });
});

describe('tenant RBAC', () => {
  it('lets a tenant user create a pod where its team has a RoleBinding, and refuses it elsewhere', async () => {
    const cluster = sandbox.cluster('sandbox-a');
    const own = await sandbox.createNamespace(cluster);
    const other = await sandbox.createNamespace(cluster);
    await cluster
      .kubeConfig('admin')
      .makeApiClient(RbacAuthorizationV1Api)
      .createNamespacedRoleBinding({
        namespace: own,
        body: {
          metadata: { name: 'tenant-developers' },
          roleRef: {
            apiGroup: 'rbac.authorization.k8s.io',
            kind: 'ClusterRole',
            name: 'tenancy-tenant-developer',
          },
          subjects: [
            {
              apiGroup: 'rbac.authorization.k8s.io',
              kind: 'Group',
              name: 'team-payments',
            },
          ],
        },
      });
    const alice = core(cluster, 'alice');
    const created = await alice.createNamespacedPod({
      namespace: own,
      body: pod('by-alice'),
    });
    expect(created.metadata?.namespace).toBe(own);
    expect(
      await statusOf(
        alice.createNamespacedPod({ namespace: other, body: pod('by-alice') }),
      ),
    ).toBe(403);
    // Nor can the tenant change its own quota.
    expect(
      await statusOf(
        alice.createNamespacedResourceQuota({
          namespace: own,
          body: {
            metadata: { name: 'more' },
            spec: { hard: { pods: '1000' } },
          },
        }),
      ),
    ).toBe(403);
  });
});

describe('AWS Organizations', () => {
  it('answers with the seeded OU tree', async () => {
    const { client } = sandbox.organizations();
    const roots = await client.send(new ListRootsCommand({}));
    const rootId = roots.Roots?.[0]?.Id;
    expect(rootId).toBe(sandbox.state.aws.organization.rootId);
    const top = await client.send(
      new ListOrganizationalUnitsForParentCommand({ ParentId: rootId }),
    );
    expect(top.OrganizationalUnits?.map(ou => ou.Name).sort()).toEqual([
      'Sandbox',
      'Workloads',
    ]);
    const workloads = top.OrganizationalUnits!.find(
      ou => ou.Name === 'Workloads',
    )!;
    const envs = await client.send(
      new ListOrganizationalUnitsForParentCommand({ ParentId: workloads.Id }),
    );
    expect(envs.OrganizationalUnits?.map(ou => ou.Name).sort()).toEqual([
      'Dev',
      'Prod',
    ]);
  });

  it('keeps CreateAccount IN_PROGRESS for N polls, then SUCCEEDED', async () => {
    const { client, accessKeyId } = sandbox.organizations();
    await sandbox.faults().add({
      type: 'create-account-in-progress',
      polls: 2,
      match: { accessKeyId },
    });
    const email = `${sandbox.uniqueName('acct')}@example.com`;
    const created = await client.send(
      new CreateAccountCommand({ AccountName: 'in progress', Email: email }),
    );
    expect(created.CreateAccountStatus?.State).toBe('IN_PROGRESS');
    const states: string[] = [];
    for (let i = 0; i < 3; i++) {
      const status = await client.send(
        new DescribeCreateAccountStatusCommand({
          CreateAccountRequestId: created.CreateAccountStatus!.Id,
        }),
      );
      states.push(status.CreateAccountStatus!.State!);
    }
    expect(states).toEqual(['IN_PROGRESS', 'IN_PROGRESS', 'SUCCEEDED']);
  });

  it('ends CreateAccount FAILED with EMAIL_ALREADY_EXISTS and creates no account', async () => {
    const { client, accessKeyId } = sandbox.organizations();
    await sandbox.faults().add({
      type: 'create-account-failure',
      reason: 'EMAIL_ALREADY_EXISTS',
      match: { accessKeyId },
    });
    const email = `${sandbox.uniqueName('dup')}@example.com`;
    const created = await client.send(
      new CreateAccountCommand({ AccountName: 'duplicate', Email: email }),
    );
    const status = await client.send(
      new DescribeCreateAccountStatusCommand({
        CreateAccountRequestId: created.CreateAccountStatus!.Id,
      }),
    );
    expect(status.CreateAccountStatus).toMatchObject({
      State: 'FAILED',
      FailureReason: 'EMAIL_ALREADY_EXISTS',
    });
    const accounts = await client.send(new ListAccountsCommand({}));
    expect(accounts.Accounts?.some(a => a.Email === email)).toBe(false);
  });

  it('throttles with TooManyRequestsException', async () => {
    const { client, accessKeyId } = sandbox.organizations({ maxAttempts: 1 });
    await sandbox.faults().add({
      type: 'error',
      operation: 'ListRoots',
      error: 'TooManyRequestsException',
      match: { accessKeyId },
    });
    await expect(client.send(new ListRootsCommand({}))).rejects.toBeInstanceOf(
      TooManyRequestsException,
    );
    const roots = await client.send(new ListRootsCommand({}));
    expect(roots.Roots).toHaveLength(1);
  });
});
