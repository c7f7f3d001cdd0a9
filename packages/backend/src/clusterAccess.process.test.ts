import { execFile } from 'node:child_process';
import { createPrivateKey, sign } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { kubectlBinary } from '@tenancy/sandbox';
import YAML from 'yaml';
import { createTestDatabase, TestDatabase } from './__testUtils__/databases';
import {
  eventually,
  killAllPortals,
  PortalProcess,
  sleep,
} from './__testUtils__/portalProcess';
import {
  connectSandbox,
  portalConfigs,
  portalOverlay,
} from './__testUtils__/sandboxPortal';

/**
 * kubectl as yourself (issue #18), end to end on the sandbox: the portal
 * (a real backend process, the shipped permission policy, the personas
 * sign-in) issues cluster tokens; the sandbox's kube-apiservers trust its
 * issuer (structured authentication configuration, JWT authenticator with
 * CEL claim mappings); the real kubectl runs the kubeconfig the portal
 * gives, whose exec credential plugin is plugins/kube-login. Nothing is
 * mocked: the person's Backstage token is the one the personas sign-in
 * issues, handed to the plugin as BACKSTAGE_TOKEN instead of the Backstage
 * CLI's browser sign-in.
 *
 * Personas: alice (team-payments), and two people of this test's own
 * catalog file — erin, in team-payments until the test takes her out, and
 * nia, in no team.
 */

jest.setTimeout(600_000);

const sandbox = connectSandbox();
const KUBECTL = kubectlBinary();
const DEV = sandbox.state.clusters.filter(c => c.environment === 'dev');
/** Token lifetime of this test's portal: short, so expiry and removal show quickly. */
const LIFETIME_S = 10;

let database: TestDatabase;
let portal: PortalProcess;
let work: string;
let orgFile: string;
const tokens: Record<string, string> = {};

function org(erinInPayments: boolean): string {
  return [
    {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'User',
      metadata: { name: 'erin' },
      spec: { memberOf: erinInPayments ? ['team-payments'] : [] },
    },
    {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'User',
      metadata: { name: 'nia' },
      spec: { memberOf: [] },
    },
  ]
    .map(e => YAML.stringify(e))
    .join('---\n');
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs kubectl as `who`: their Backstage token, their own token cache. */
function kubectl(
  who: string,
  kubeconfig: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<Run> {
  return runAs(who, KUBECTL, [`--kubeconfig=${kubeconfig}`, ...args], env);
}

/** Runs a command as `who` would on their machine: their HOME, cache and Backstage token. */
function runAs(
  who: string,
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<Run> {
  return new Promise(resolve => {
    execFile(
      command,
      args,
      {
        env: {
          PATH: `${path.dirname(process.execPath)}:${process.env.PATH}`,
          HOME: work,
          XDG_CACHE_HOME: path.join(work, `cache-${who}`),
          BACKSTAGE_TOKEN: tokens[who],
          ...env,
        },
        timeout: 120_000,
      },
      (error, stdout, stderr) => {
        let code = 0;
        if (error) code = typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() });
      },
    );
  });
}

/**
 * Whom RBAC refused, when kubectl's answer is a refusal by RBAC (Forbidden:
 * authenticated, not allowed); otherwise what happened instead.
 */
function refusedUser(answer: Run): string {
  if (answer.code === 0) return `allowed: ${answer.stdout}`;
  const user = /User "([^"]+)"/.exec(answer.stderr)?.[1];
  return answer.stderr.includes('Forbidden') && user
    ? user
    : `not refused by RBAC: ${answer.stderr}`;
}

/**
 * A token signed with the portal's key (the sandbox overlay's), with any
 * claims: what a leaked key or a portal bug could produce, for proving what
 * the clusters' own rules refuse whatever the portal signs.
 */
function forge(claims: object): string {
  const overlay = YAML.parse(fs.readFileSync(sandbox.state.overlay, 'utf8'));
  const part = (o: object) =>
    Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${part({ alg: 'ES256', typ: 'JWT' })}.${part(claims)}`;
  const signature = sign('sha256', Buffer.from(input), {
    key: createPrivateKey(overlay.tenancy.clusterAccess.signingKey),
    dsaEncoding: 'ieee-p1363',
  });
  return `${input}.${signature.toString('base64url')}`;
}

/** The API server's audit events (JSON lines) of one cluster. */
function auditEvents(cluster: string): any[] {
  const file = sandbox.state.clusters.find(c => c.name === cluster)!.auditLog;
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(line => JSON.parse(line));
}

let kubeconfigFile: string;
let kubeconfig: any;
const podName = `kube-login-${Date.now().toString(36)}`;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'tenancy-kube-login-'));
  orgFile = path.join(work, 'org.yaml');
  fs.writeFileSync(orgFile, org(true));
  const overlay = YAML.parse(fs.readFileSync(sandbox.state.overlay, 'utf8'));
  database = await createTestDatabase('SQLITE_3');
  portal = await PortalProcess.start({
    name: 'cluster-access',
    configs: portalConfigs(sandbox),
    overlay: portalOverlay(sandbox, {
      extra: {
        auth: {
          providers: {
            personas: { users: ['alice', 'bob', 'pat', 'erin', 'nia'] },
          },
        },
        catalog: {
          processingInterval: { seconds: 2 },
          locations: [
            ...overlay.catalog.locations.map((l: any) => ({
              ...l,
              // Relative to packages/backend, where the overlay's are.
              target: path.resolve(__dirname, '..', l.target),
            })),
            { type: 'file', target: orgFile, rules: [{ allow: ['User'] }] },
          ],
        },
        tenancy: { clusterAccess: { tokenLifetime: { seconds: LIFETIME_S } } },
      },
    }),
    database: database.config,
  });
  for (const who of ['alice', 'erin']) tokens[who] = await portal.signIn(who);
  tokens.nia = await eventually(
    'nia in the catalog',
    async () => (await portal.identity('nia').catch(() => undefined))?.token,
    180_000,
    500,
  );
}, 900_000);

afterAll(async () => {
  if (kubeconfigFile) {
    for (const cluster of DEV) {
      await kubectl('alice', kubeconfigFile, [
        `--context=${cluster.name}/payments`,
        'delete',
        'pod',
        podName,
        '--ignore-not-found',
        '--wait=false',
      ]);
    }
  }
  await killAllPortals();
  await database?.cleanup();
  await sandbox.cleanup();
  fs.rmSync(work, { recursive: true, force: true });
});

describe('kubectl as yourself', () => {
  it('gives a team member a kubeconfig with a context per namespace and no secret in it', async () => {
    const answer = await portal.api(
      tokens.alice,
      '/api/tenancy/cluster-access/teams/default/team-payments/kubeconfig',
    );
    expect(answer.configured).toBe(true);
    kubeconfig = YAML.parse(answer.kubeconfig);
    // The panel's one command installs it (here the repository's plugin,
    // as the sandbox's config names it).
    const install = await runAs('alice', 'bash', ['-c', answer.installCommand]);
    expect({ code: install.code, stderr: install.stderr }).toMatchObject({
      code: 0,
    });
    kubeconfigFile = path.join(work, '.kube', 'tenancy', answer.fileName);
    expect(install.stdout).toContain(`Wrote ${kubeconfigFile}`);
    expect(fs.readFileSync(kubeconfigFile, 'utf8')).toBe(answer.kubeconfig);

    for (const cluster of DEV) {
      const context = kubeconfig.contexts.find(
        (c: any) => c.name === `${cluster.name}/payments`,
      );
      expect(context?.context).toEqual({
        cluster: cluster.name,
        namespace: 'payments',
        user: `tenancy-${cluster.name}`,
      });
      const entry = kubeconfig.clusters.find(
        (c: any) => c.name === cluster.name,
      );
      expect(entry.cluster).toEqual({
        server: cluster.url,
        'certificate-authority-data': cluster.caData,
      });
    }
    // Credentials are the exec plugin alone: no token, key or password.
    for (const user of kubeconfig.users) {
      expect(Object.keys(user.user)).toEqual(['exec']);
      expect(user.user.exec.args).toEqual([
        'get-token',
        '--portal',
        portal.baseUrl,
        '--cluster',
        user.name.replace(/^tenancy-/, ''),
      ]);
    }
    const text: string = answer.kubeconfig;
    expect(text).not.toMatch(/token:|client-key|password|PRIVATE KEY/i);
    for (const cluster of sandbox.state.clusters) {
      for (const identity of Object.values(cluster.identities)) {
        expect(text).not.toContain(identity.token);
      }
    }
    expect(text).not.toContain(tokens.alice);
    expect(answer.installCommand).toContain(
      `--portal ${portal.baseUrl} --team group:default/team-payments`,
    );
  });

  it("refuses another team's kubeconfig, and a token for a cluster the portal does not know", async () => {
    await expect(
      portal.api(
        tokens.alice,
        '/api/tenancy/cluster-access/teams/default/team-search/kubeconfig',
      ),
    ).rejects.toThrow(/403/);
    await expect(
      portal.api(tokens.nia, '/api/tenancy/cluster-access/token', {
        method: 'POST',
        body: { cluster: 'no-such-cluster' },
      }),
    ).rejects.toThrow(/404/);
  });

  it("lets a team member create a pod in the team's namespace on every dev cluster, as themselves", async () => {
    for (const cluster of DEV) {
      const created = await kubectl('alice', kubeconfigFile, [
        `--context=${cluster.name}/payments`,
        'run',
        podName,
        '--image=registry.k8s.io/pause:3.10',
        '--restart=Never',
      ]);
      expect({ code: created.code, stderr: created.stderr }).toMatchObject({
        code: 0,
      });
      expect(created.stdout).toContain(`pod/${podName} created`);
      const whoami = await kubectl('alice', kubeconfigFile, [
        `--context=${cluster.name}/payments`,
        'auth',
        'whoami',
        '-o',
        'json',
      ]);
      const user = JSON.parse(whoami.stdout).status.userInfo;
      expect(user.username).toBe('user:default/alice');
      expect(user.groups).toContain('team-payments');
      expect(user.groups).not.toContain('system:masters');
    }
    // The plugin's cache holds a credential: its owner's alone.
    const cache = path.join(work, 'cache-alice', 'tenancy-kube-login');
    expect(fs.statSync(cache).mode & 0o777).toBe(0o700);
    const files = fs.readdirSync(cache);
    expect(files.length).toBe(DEV.length);
    for (const file of files) {
      expect(fs.statSync(path.join(cache, file)).mode & 0o777).toBe(0o600);
    }
  });

  it("refuses a team member in another team's namespace and at cluster scope", async () => {
    for (const cluster of DEV) {
      const context = `--context=${cluster.name}/payments`;
      for (const args of [
        ['-n', 'checkout', 'get', 'pods'],
        ['-n', 'checkout', 'run', podName, '--image=x', '--restart=Never'],
        ['get', 'nodes'],
        ['get', 'namespaces'],
        ['create', 'namespace', `${podName}-ns`],
        ['get', 'pods', '--all-namespaces'],
      ]) {
        expect(
          refusedUser(
            await kubectl('alice', kubeconfigFile, [context, ...args]),
          ),
        ).toBe('user:default/alice');
      }
    }
  });

  it('refuses a member of no team everywhere', async () => {
    for (const cluster of DEV) {
      const context = `--context=${cluster.name}/payments`;
      for (const args of [
        ['get', 'pods'],
        ['run', `${podName}-nia`, '--image=x', '--restart=Never'],
        ['-n', 'checkout', 'get', 'pods'],
        ['get', 'nodes'],
      ]) {
        expect(
          refusedUser(await kubectl('nia', kubeconfigFile, [context, ...args])),
        ).toBe('user:default/nia');
      }
    }
  });

  it('still gives kubectl a token when the cache folder is not its own, and says why it does not cache', async () => {
    // The cache folder is a link to somewhere else (as a shared or planted
    // ~/.cache would be): nothing is written through it, kubectl works.
    const cache = path.join(work, 'cache-linked');
    const elsewhere = path.join(work, 'elsewhere');
    fs.mkdirSync(cache, { recursive: true });
    fs.mkdirSync(elsewhere, { recursive: true });
    fs.symlinkSync(elsewhere, path.join(cache, 'tenancy-kube-login'));
    const pods = await kubectl(
      'alice',
      kubeconfigFile,
      [`--context=${DEV[0].name}/payments`, 'get', 'pods'],
      { XDG_CACHE_HOME: cache },
    );
    expect({ code: pods.code, stderr: pods.stderr }).toMatchObject({
      code: 0,
    });
    expect(pods.stderr).toContain(
      "is not a folder of yours (a link, or another user's): not caching tokens there; the token is not cached",
    );
    expect(fs.readdirSync(elsewhere)).toEqual([]);
  });

  it('refuses a token past its lifetime', async () => {
    const cluster = DEV[0];
    const issued = await portal.api(
      tokens.alice,
      '/api/tenancy/cluster-access/token',
      { method: 'POST', body: { cluster: cluster.name } },
    );
    const lifetime =
      Date.parse(issued.expirationTimestamp) - Date.now() + 1_000;
    expect(lifetime).toBeLessThanOrEqual((LIFETIME_S + 2) * 1000);
    const ca = path.join(work, `${cluster.name}-ca.crt`);
    fs.writeFileSync(ca, Buffer.from(cluster.caData, 'base64'));
    const direct = [
      `--server=${cluster.url}`,
      `--certificate-authority=${ca}`,
      `--token=${issued.token}`,
      '-n',
      'payments',
      'get',
      'pods',
    ];
    const fresh = await kubectl('alice', '/dev/null', direct);
    expect({ code: fresh.code, stderr: fresh.stderr }).toMatchObject({
      code: 0,
    });
    await sleep(lifetime + 1_000);
    const stale = await kubectl('alice', '/dev/null', direct);
    expect(stale.code).not.toBe(0);
    expect(stale.stderr).toMatch(/Unauthorized|must be logged in/);
  });

  it('takes access away at the next token once the person leaves the team', async () => {
    const context = `--context=${DEV[0].name}/payments`;
    const before = await kubectl('erin', kubeconfigFile, [
      context,
      'get',
      'pods',
    ]);
    expect({ code: before.code, stderr: before.stderr }).toMatchObject({
      code: 0,
    });
    fs.writeFileSync(orgFile, org(false));
    await eventually(
      'the catalog to take erin out of team-payments',
      async () => {
        const erin = await portal.api(
          tokens.alice,
          '/api/catalog/entities/by-name/user/default/erin',
        );
        return (erin.relations ?? []).some(
          (r: any) => r.targetRef === 'group:default/team-payments',
        )
          ? undefined
          : true;
      },
      120_000,
      1_000,
    );
    // Her Backstage token (issued while she was a member) still works for
    // the portal; the cluster token she gets next no longer has the group.
    const after = await eventually(
      "erin's next cluster token to be refused",
      async () => {
        const answer = await kubectl('erin', kubeconfigFile, [
          context,
          'get',
          'pods',
        ]);
        return answer.code !== 0 ? answer : undefined;
      },
      (LIFETIME_S + 30) * 1000,
      1_000,
    );
    expect(refusedUser(after)).toBe('user:default/erin');
  });

  it("names the person, not a shared account, in the API server's audit log", async () => {
    for (const cluster of DEV) {
      const created = await eventually(
        `${cluster.name}'s audit log to record alice's pod`,
        async () =>
          auditEvents(cluster.name).find(
            e =>
              e.verb === 'create' &&
              e.objectRef?.resource === 'pods' &&
              e.objectRef?.namespace === 'payments' &&
              e.objectRef?.name === podName &&
              e.stage === 'ResponseComplete',
          ),
        30_000,
        500,
      );
      expect(created.user.username).toBe('user:default/alice');
      expect(created.user.groups).toContain('team-payments');
      expect(created.responseStatus.code).toBe(201);
      // A refusal is recorded as the person too.
      await kubectl('nia', kubeconfigFile, [
        `--context=${cluster.name}/payments`,
        'get',
        'configmaps',
      ]);
      const refused = await eventually(
        `${cluster.name}'s audit log to record nia's refusal`,
        async () =>
          auditEvents(cluster.name).find(
            e =>
              e.user?.username === 'user:default/nia' &&
              e.objectRef?.resource === 'configmaps' &&
              e.responseStatus?.code === 403,
          ),
        30_000,
        500,
      );
      expect(refused.objectRef.namespace).toBe('payments');
    }
  });
  it('refuses what the portal would never sign, even with its own key: system: users and groups, other clusters, over an hour', async () => {
    const cluster = DEV[0];
    const other = sandbox.state.clusters.find(c => c.name !== cluster.name)!;
    const ca = path.join(work, `${cluster.name}-ca.crt`);
    fs.writeFileSync(ca, Buffer.from(cluster.caData, 'base64'));
    const otherCa = path.join(work, `${other.name}-ca.crt`);
    fs.writeFileSync(otherCa, Buffer.from(other.caData, 'base64'));
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: sandbox.state.clusterAccess.issuer,
      aud: `tenancy:${cluster.name}`,
      sub: 'user:default/mallory',
      groups: ['team-payments'],
      iat: now,
      exp: now + 300,
    };
    const whoami = async (token: string, on = cluster, caFile = ca) =>
      kubectl('nobody', '/dev/null', [
        `--server=${on.url}`,
        `--certificate-authority=${caFile}`,
        `--token=${token}`,
        'auth',
        'whoami',
        '-o',
        'json',
      ]);
    // The key signs what the cluster accepts: a control, so that the
    // refusals below are about the claims.
    const control = await whoami(forge(claims));
    expect({ code: control.code, stderr: control.stderr }).toMatchObject({
      code: 0,
    });
    // A system: group is dropped by the cluster's claim mapping.
    const masters = await whoami(
      forge({ ...claims, groups: ['system:masters', 'team-payments'] }),
    );
    const user = JSON.parse(masters.stdout).status.userInfo;
    expect(user.groups).toContain('team-payments');
    expect(user.groups).not.toContain('system:masters');
    // A subject that is not a Backstage user (a system: user), a token for
    // over an hour, a token for another cluster: not authenticated.
    for (const token of [
      forge({ ...claims, sub: 'system:admin' }),
      forge({ ...claims, exp: now + 7200 }),
    ]) {
      const answer = await whoami(token);
      expect(answer.code).not.toBe(0);
      expect(answer.stderr).toMatch(/Unauthorized|must be logged in/);
    }
    const replayed = await whoami(forge(claims), other, otherCa);
    expect(replayed.code).not.toBe(0);
    expect(replayed.stderr).toMatch(/Unauthorized|must be logged in/);
  });
});
