import {
  Account,
  OrganizationsClient,
  paginateListAccounts,
} from '@aws-sdk/client-organizations';
import {
  afterOwnershipCheck,
  ClusterProxy,
} from './__testUtils__/clusterProxy';
import {
  createTestDatabase,
  TestDatabase,
  testDatabaseIds,
} from './__testUtils__/databases';
import {
  eventually,
  killAllPortals,
  messages,
  PortalProcess,
  scaffolder,
  TaskEvent,
} from './__testUtils__/portalProcess';
import {
  connectSandbox,
  portalConfigs,
  portalOverlay,
  readNamespace,
} from './__testUtils__/sandboxPortal';

/**
 * The backend is killed (`kill -9`) in the middle of a task's step and
 * started again on the same database. With the portal's task recovery on
 * (app-config.yaml › scaffolder.taskRecovery), the same task resumes and
 * completes, nothing is created twice — counted with the sandbox's own
 * clients, not the portal's — and the task's log says it resumed. Real
 * backend processes, the real sandbox, the shipped templates, the guest
 * signed in through the guest provider.
 */

// Two backend starts per test on two busy cores, and a task that waits on
// AWS polling in between. Longer than the sum of the waits inside, so a slow
// step fails with its own message rather than jest's timeout.
jest.setTimeout(1_200_000);

const sandbox = connectSandbox();

async function accountsWithEmail(
  client: OrganizationsClient,
  email: string,
): Promise<Account[]> {
  const found: Account[] = [];
  for await (const page of paginateListAccounts({ client }, {})) {
    found.push(...(page.Accounts ?? []).filter(a => a.Email === email));
  }
  return found;
}

function printLog(title: string, events: TaskEvent[]) {
  // eslint-disable-next-line no-console
  console.log(
    `${title}\n${messages(events)
      .map(m => `  ${m}`)
      .join('\n')}`,
  );
}

describe.each(testDatabaseIds())('task recovery on %s', databaseId => {
  let database: TestDatabase;
  const proxies: ClusterProxy[] = [];

  beforeEach(async () => {
    database = await createTestDatabase(databaseId);
  });

  afterEach(async () => {
    await killAllPortals();
    for (const proxy of proxies.splice(0)) await proxy.close();
    await sandbox.cleanup();
    await database.cleanup();
  });

  async function startPortal(name: string, overlay = portalOverlay(sandbox)) {
    const portal = await PortalProcess.start({
      name: `${name}-${databaseId}`,
      configs: portalConfigs(sandbox),
      overlay,
      database: database.config,
    });
    return portal;
  }

  it('account vending killed while AWS says IN_PROGRESS resumes after a restart and makes one account', async () => {
    const name = sandbox.uniqueName('crash');
    const email = `${name}@crash.example.com`;
    // CreateAccount answers IN_PROGRESS for 3 polls (5 s + 10 s of backoff
    // at the action's default timing): the backend is killed in between.
    await sandbox
      .faults()
      .add({ type: 'create-account-in-progress', polls: 3, match: { email } });

    const first = await startPortal('vending-first');
    const token = await first.signInGuest(['request-aws-account']);
    const taskId = await scaffolder.start(first, token, 'request-aws-account', {
      tenant: 'group:default/team-payments',
      accountName: name,
      email,
      environment: 'dev',
      costCentre: 'CC-4242',
    });
    await scaffolder.waitForLog(first, token, taskId, /IN_PROGRESS; checking/);
    await first.kill9();

    const second = await startPortal('vending-second');
    const token2 = await second.signInGuest();
    const task = await scaffolder.waitForEnd(second, token2, taskId);
    const events = await scaffolder.events(second, token2, taskId);
    printLog(
      `[crash] ${databaseId}: account vending, killed while IN_PROGRESS, then restarted — task ${task.status}:`,
      events,
    );
    expect(task.status).toBe('completed');
    expect(events.map(e => e.type)).toContain('recovered');
    expect(messages(events)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Resuming account request car-\w+ for /),
      ]),
    );
    // One CreateAccount was sent in all: the log names one request id.
    const accepted = messages(events).filter(m =>
      /CreateAccount accepted for/.test(m),
    );
    expect(new Set(accepted).size).toBe(1);

    // Counted in the organization itself, not through the portal.
    const { client } = sandbox.organizations();
    const accounts = await accountsWithEmail(client, email);
    // eslint-disable-next-line no-console
    console.log(
      `[crash] ${databaseId}: accounts with ${email} in the organization: ${accounts.length}`,
    );
    expect(accounts).toHaveLength(1);
  });

  it('onboarding killed while one cluster is slowed resumes after a restart; the finished cluster is not touched again', async () => {
    const namespace = sandbox.uniqueName('crash');
    for (const cluster of ['sandbox-b', 'sandbox-c']) {
      sandbox.deleteNamespaceOnCleanup(sandbox.cluster(cluster), namespace);
    }
    // sandbox-c (prod) answers nothing about this namespace until released,
    // once the onboarding has checked who holds the name there.
    const slow = await ClusterProxy.start(sandbox.cluster('sandbox-c'));
    proxies.push(slow);
    slow.hold(afterOwnershipCheck(namespace));

    const first = await startPortal(
      'onboard-first',
      portalOverlay(sandbox, { proxies: { 'sandbox-c': slow } }),
    );
    const token = await first.signInGuest(['onboard-tenant']);
    const taskId = await scaffolder.start(first, token, 'onboard-tenant', {
      tenant: 'group:default/team-payments',
      namespace,
      environment: 'prod',
      quotaPreset: 'small',
      podSecurity: 'restricted',
    });
    await scaffolder.waitForLog(first, token, taskId, /^sandbox-b: /);
    await eventually('sandbox-c to hold the onboarding', async () =>
      slow.heldCount > 0 ? true : undefined,
    );
    const before = await readNamespace(sandbox, 'sandbox-b', namespace);
    expect(before?.metadata?.uid).toEqual(expect.any(String));
    await first.kill9();
    const restartedAt = Date.now();

    // The cluster answers again; a new backend on the same database, with
    // sandbox-b behind a counting proxy: it must get no request at all for
    // this namespace.
    slow.release();
    const watchB = await ClusterProxy.start(sandbox.cluster('sandbox-b'));
    proxies.push(watchB);
    const second = await startPortal(
      'onboard-second',
      portalOverlay(sandbox, {
        proxies: { 'sandbox-b': watchB, 'sandbox-c': slow },
      }),
    );
    const token2 = await second.signInGuest();
    const task = await scaffolder.waitForEnd(second, token2, taskId);
    const events = await scaffolder.events(second, token2, taskId);
    printLog(
      `[crash] ${databaseId}: onboarding, killed while sandbox-c was slowed, then restarted — task ${task.status}:`,
      events,
    );
    expect(task.status).toBe('completed');
    expect(events.map(e => e.type)).toContain('recovered');
    expect(messages(events)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^sandbox-b: \w+ before the task was interrupted; resumed without touching the cluster again$/,
        ),
        expect.stringMatching(/^sandbox-c: (created|updated|unchanged)/),
      ]),
    );

    // The resumed run sent sandbox-b nothing for the namespace, and did
    // finish sandbox-c; sandbox-b still has the very object made before the
    // crash.
    const ofNamespace = (r: { path: string }) =>
      r.path.includes(`namespaces/${namespace}`);
    // eslint-disable-next-line no-console
    console.log(
      `[crash] ${databaseId}: after the restart, requests for the namespace: sandbox-b ${watchB.count(
        ofNamespace,
      )}, sandbox-c ${slow.count(r => ofNamespace(r) && r.at >= restartedAt)}`,
    );
    expect(watchB.count(ofNamespace)).toBe(0);
    expect(
      slow.count(r => ofNamespace(r) && r.at >= restartedAt),
    ).toBeGreaterThan(0);
    const after = await readNamespace(sandbox, 'sandbox-b', namespace);
    expect(after?.metadata?.uid).toBe(before?.metadata?.uid);
    expect(after?.metadata?.resourceVersion).toBe(
      before?.metadata?.resourceVersion,
    );
    for (const cluster of ['sandbox-b', 'sandbox-c']) {
      const ns = await readNamespace(sandbox, cluster, namespace);
      expect(ns?.metadata?.labels?.['app.kubernetes.io/managed-by']).toBe(
        'tenancy',
      );
    }
    expect(
      await readNamespace(sandbox, 'sandbox-a', namespace),
    ).toBeUndefined();
  });
});
