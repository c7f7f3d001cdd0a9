import { randomBytes } from 'node:crypto';
import {
  afterOwnershipCheck,
  ClusterProxy,
  ProxiedRequest,
} from './__testUtils__/clusterProxy';
import { testDatabaseIds } from './__testUtils__/databases';
import {
  eventually,
  killAllPortals,
  messages,
  PortalProcess,
  scaffolder,
  sleep,
} from './__testUtils__/portalProcess';
import {
  connectSandbox,
  portalConfigs,
  portalOverlay,
  proxyEveryCluster,
} from './__testUtils__/sandboxPortal';

/**
 * The portal as it runs past one machine: two replicas of the real backend
 * (app-config.yaml + app-config.production.yaml) on one PostgreSQL and one
 * Redis, which `./run test` starts. Every request the replicas send to a
 * cluster goes through a counting proxy of the test's own — one set per
 * replica, so the test also sees which replica did what.
 */

// Longer than the sum of the waits inside, so a slow step fails with its own
// message rather than jest's timeout.
jest.setTimeout(1_200_000);

const REFRESH_SECONDS = 5;
const sandbox = connectSandbox();

function postgresEnv(): Record<string, string> {
  const id = testDatabaseIds().find(i => i.startsWith('POSTGRES'));
  const url =
    id &&
    process.env[
      `BACKSTAGE_TEST_DATABASE_${id.replace('_', '')}_CONNECTION_STRING`
    ];
  if (!url) {
    throw new Error(
      'The replica test needs PostgreSQL: run it with ./run test, which starts one (or set BACKSTAGE_TEST_DATABASE_POSTGRES<N>_CONNECTION_STRING)',
    );
  }
  const parsed = new URL(url);
  return {
    POSTGRES_HOST: parsed.hostname,
    POSTGRES_PORT: parsed.port || '5432',
    POSTGRES_USER: decodeURIComponent(parsed.username),
    POSTGRES_PASSWORD: decodeURIComponent(parsed.password),
  };
}

function redisUrl(): string {
  const url = process.env.TENANCY_TEST_REDIS_URL;
  if (!url) {
    throw new Error(
      'The replica test needs Redis: run it with ./run test, which starts one (or set TENANCY_TEST_REDIS_URL)',
    );
  }
  return url;
}

/**
 * The first request of a fleet refresh's node list: one per refresh and
 * cluster. (Not /version: the catalog's namespace provider asks for it too,
 * on its own schedule and when its watches see a change.)
 */
const isFleetRefresh = (r: ProxiedRequest) => {
  const [route, query = ''] = r.path.split('?');
  return route === '/api/v1/nodes' && !/(^|&)continue=/.test(query);
};

describe('two backend replicas on one PostgreSQL and one Redis', () => {
  const proxySets: Array<Record<string, ClusterProxy>> = [];

  afterAll(async () => {
    await killAllPortals();
    for (const set of proxySets) {
      for (const proxy of Object.values(set)) await proxy.close();
    }
    await sandbox.cleanup();
  });

  it('refresh the fleet once per interval between them, serve the same snapshot, run a task once and recover it when its replica dies', async () => {
    const env: Record<string, string> = {
      ...postgresEnv(),
      REDIS_URL: redisUrl(),
    };
    // A database prefix and a cache namespace of this test's own on the
    // shared servers.
    const run = randomBytes(4).toString('hex');
    const database = { prefix: `tenancy_replicas_${run}_` };
    const start = async (name: string) => {
      const proxies = await proxyEveryCluster(sandbox);
      proxySets.push(proxies);
      const portal = await PortalProcess.start({
        name,
        configs: portalConfigs(sandbox, 'app-config.production.yaml'),
        overlay: portalOverlay(sandbox, {
          proxies,
          extra: {
            tenancy: { fleet: { refreshIntervalSeconds: REFRESH_SECONDS } },
            backend: {
              cache: { redis: { client: { namespace: `tenancy-${run}` } } },
            },
          },
        }),
        database,
        env,
      });
      return { name, portal, proxies };
    };
    // One after the other: both creating the same databases at once is a
    // race Backstage's own migrations do not guard against.
    const a = await start('replica-a');
    const b = await start('replica-b');
    const replicas = [a, b];
    // The platform team's pat: the fleet view is theirs.
    const tokenA = await a.portal.signIn('pat', ['onboard-tenant']);
    const tokenB = await b.portal.signIn('pat');
    const tokens = new Map([
      [a, tokenA],
      [b, tokenB],
    ]);
    // eslint-disable-next-line no-console
    console.log(
      `[replicas] replica-a ready in ${a.portal.startedInMs} ms, replica-b in ${
        b.portal.startedInMs
      } ms (PostgreSQL ${env.POSTGRES_HOST}:${env.POSTGRES_PORT}, Redis ${
        new URL(env.REDIS_URL).host
      })`,
    );

    // 1. One fleet refresh per interval across both replicas. Each refresh
    // reads /version once per cluster, so /version requests count refreshes.
    await a.portal.api(tokenA, '/api/tenancy/fleet');
    await b.portal.api(tokenB, '/api/tenancy/fleet');
    const windowSeconds = 8 * REFRESH_SECONDS;
    const from = Date.now();
    await sleep(windowSeconds * 1000);
    const to = Date.now();
    const inWindow = (r: ProxiedRequest) => r.at >= from && r.at < to;
    const refreshes = replicas.map(r =>
      Object.fromEntries(
        Object.entries(r.proxies).map(([cluster, proxy]) => [
          cluster,
          proxy.count(q => inWindow(q) && isFleetRefresh(q)),
        ]),
      ),
    );
    const totalRequests = replicas.map(r =>
      Object.values(r.proxies).reduce((n, p) => n + p.count(inWindow), 0),
    );
    const perCluster = sandbox.state.clusters.map(c => ({
      cluster: c.name,
      refreshes: refreshes[0][c.name] + refreshes[1][c.name],
    }));
    // eslint-disable-next-line no-console
    console.log(
      `[replicas] in ${windowSeconds} s at one refresh per ${REFRESH_SECONDS} s: refreshes per cluster ${perCluster
        .map(p => `${p.cluster} ${p.refreshes}`)
        .join(', ')} (replica-a ${JSON.stringify(
        refreshes[0],
      )}, replica-b ${JSON.stringify(
        refreshes[1],
      )}); cluster requests replica-a ${totalRequests[0]}, replica-b ${
        totalRequests[1]
      }`,
    );
    const intervals = windowSeconds / REFRESH_SECONDS;
    for (const { refreshes: n } of perCluster) {
      // Two replicas refreshing on their own would make about 2 × intervals;
      // the floor only says the refresh runs at all (a busy machine delays
      // the scheduler's polling).
      expect(n).toBeGreaterThanOrEqual(2);
      expect(n).toBeLessThanOrEqual(intervals + 1);
    }

    // 2. Both serve the same snapshot (a refresh may land between the two
    // reads; then the next pair agrees).
    const same = await eventually(
      'both replicas to serve the same snapshot',
      async () => {
        const [fa, fb] = await Promise.all([
          a.portal.api(tokenA, '/api/tenancy/fleet'),
          b.portal.api(tokenB, '/api/tenancy/fleet'),
        ]);
        return fa.generatedAt === fb.generatedAt ? fa : undefined;
      },
      30_000,
      100,
    );
    // eslint-disable-next-line no-console
    console.log(
      `[replicas] both replicas serve the snapshot generatedAt ${same.generatedAt} (${same.clusters.length} clusters)`,
    );
    expect(same.clusters.map((c: { name: string }) => c.name).sort()).toEqual(
      sandbox.state.clusters.map(c => c.name).sort(),
    );

    // 3. A task started through replica-a runs on exactly one replica.
    // sandbox-c holds this namespace's requests, so the task stays in its
    // step until the test lets it go. Onboarding first reads the namespace
    // on every cluster before it claims on any: that read goes through,
    // what follows it is held.
    const namespace = sandbox.uniqueName('replicas');
    for (const cluster of ['sandbox-b', 'sandbox-c']) {
      sandbox.deleteNamespaceOnCleanup(sandbox.cluster(cluster), namespace);
    }
    const ofNamespace = (r: ProxiedRequest) =>
      r.path.includes(`namespaces/${namespace}`);
    for (const r of replicas) {
      r.proxies['sandbox-c'].hold(afterOwnershipCheck(namespace));
    }
    const taskId = await scaffolder.start(a.portal, tokenA, 'onboard-tenant', {
      tenant: 'group:default/team-payments',
      namespace,
      environment: 'prod',
      quotaPreset: 'small',
      podSecurity: 'restricted',
    });
    await scaffolder.waitForLog(a.portal, tokenA, taskId, /^sandbox-b: /);
    const runner = await eventually(
      'a replica to be held on sandbox-c',
      async () => replicas.find(r => r.proxies['sandbox-c'].heldCount > 0),
      60_000,
    );
    const other = runner === a ? b : a;
    const touched = (r: typeof a) =>
      Object.values(r.proxies).reduce((n, p) => n + p.count(ofNamespace), 0);
    // eslint-disable-next-line no-console
    console.log(
      `[replicas] task ${taskId} (started through replica-a) runs on ${
        runner.name
      }: requests for its namespace from ${runner.name} ${touched(
        runner,
      )}, from ${other.name} ${touched(other)}`,
    );
    expect(touched(runner)).toBeGreaterThan(0);
    expect(touched(other)).toBe(0);

    // 4. kill -9 the replica running it: the other one recovers the task.
    const bBefore = runner.proxies['sandbox-b'].count(ofNamespace);
    await runner.portal.kill9();
    for (const r of replicas) r.proxies['sandbox-c'].release();
    const otherToken = tokens.get(other)!;
    const task = await scaffolder.waitForEnd(other.portal, otherToken, taskId);
    const events = await scaffolder.events(other.portal, otherToken, taskId);
    // eslint-disable-next-line no-console
    console.log(
      `[replicas] after kill -9 of ${runner.name}: task ${task.status} on ${
        other.name
      }; ${other.name} sent sandbox-b ${other.proxies['sandbox-b'].count(
        ofNamespace,
      )} and sandbox-c ${other.proxies['sandbox-c'].count(
        ofNamespace,
      )} requests for the namespace (${
        runner.name
      } had sent sandbox-b ${bBefore}):\n${messages(events)
        .map(m => `  ${m}`)
        .join('\n')}`,
    );
    expect(task.status).toBe('completed');
    expect(events.map(e => e.type)).toContain('recovered');
    expect(messages(events)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^sandbox-b: \w+ before the task was interrupted/,
        ),
      ]),
    );
    // The survivor did not redo sandbox-b, and did finish sandbox-c.
    expect(other.proxies['sandbox-b'].count(ofNamespace)).toBe(0);
    expect(other.proxies['sandbox-c'].count(ofNamespace)).toBeGreaterThan(0);
  });
});
