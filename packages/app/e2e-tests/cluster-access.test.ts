import { expect, test } from '@playwright/test';
import {
  connectSandbox,
  kubectlBinary,
  SandboxFixtures,
} from '@tenancy/sandbox';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import {
  expectAccessible,
  personaToken,
  screenshot,
  signInAs,
  signInAsGuest,
} from './helpers';

const REPO = path.resolve(__dirname, '../../..');
const KUBE_LOGIN = path.join(REPO, 'plugins/kube-login/bin/tenancy-kube-login');

/** Runs a program the way a person's shell would, in `env`; resolves with its outcome. */
function run(
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise(resolve => {
    execFile(
      command,
      args,
      { env, timeout: 120_000 },
      (error, stdout, stderr) => {
        let code = 0;
        if (error) code = typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/**
 * kubectl as yourself (issue #18, acceptance 3): the Cluster access panel on
 * the team page and on a namespace's page shows the kubeconfig's contexts
 * and the one command that installs it, and the kubeconfig it offers holds
 * no token. That kubectl works with it is clusterAccess.process.test.ts's.
 */

let sandbox: SandboxFixtures;
test.beforeAll(() => {
  sandbox = connectSandbox();
});
test.afterAll(async () => {
  await sandbox.cleanup();
});

test("the team page's Cluster access panel: contexts, the install command, a kubeconfig without a secret", async ({
  page,
}) => {
  // The guest is a member of team-payments.
  await signInAsGuest(page);
  await page.goto('/tenancy/tenants/default/team-payments');
  const panel = page.getByTestId('cluster-access');
  await expect(page.getByText('Cluster access', { exact: true })).toBeVisible();
  await expect(page.getByText('kubectl for team-payments')).toBeVisible();

  const install = panel.getByTestId('cluster-access-install-command');
  await expect(install).toContainText(
    'setup --portal http://localhost:7017 --team group:default/team-payments',
  );
  await expect(
    panel.getByRole('button', { name: 'Copy install command' }),
  ).toBeVisible();

  // A context per namespace of the team, on every cluster it has one.
  const contexts = panel.getByTestId('cluster-access-contexts');
  for (const cluster of sandbox.state.clusters) {
    const row = contexts.getByRole('row', {
      name: new RegExp(`^${cluster.name}/payments\\b`),
    });
    await expect(row).toBeVisible();
    await expect(row).toContainText(cluster.environment);
    await expect(row).toContainText(cluster.url);
  }
  await expect(panel.getByTestId('cluster-access-example')).toContainText(
    'kubectl --context sandbox-',
  );

  await panel.getByRole('button', { name: 'Show kubeconfig' }).click();
  const kubeconfigText = await panel
    .getByTestId('cluster-access-kubeconfig')
    .innerText();
  const kubeconfig = YAML.parse(kubeconfigText);
  expect(kubeconfig.kind).toBe('Config');
  expect(kubeconfig.users.map((u: any) => Object.keys(u.user))).toEqual(
    kubeconfig.users.map(() => ['exec']),
  );
  expect(kubeconfigText).not.toMatch(/token:|PRIVATE KEY|password/i);
  for (const cluster of sandbox.state.clusters) {
    for (const identity of Object.values(cluster.identities)) {
      expect(kubeconfigText).not.toContain(identity.token);
    }
  }

  // Downloaded under the name the panel gives, with the same content.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    panel.getByRole('button', { name: 'Download kubeconfig' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('tenancy-team-payments.yaml');

  await page.waitForLoadState('networkidle');
  await screenshot(page, 'cluster-access-team');
  await expectAccessible(page, 'cluster-access-team', {
    include: '[data-testid="cluster-access"]',
  });
});

test("a namespace's page narrows the panel to that namespace on its clusters", async ({
  page,
}) => {
  await signInAsGuest(page);
  await page.goto('/catalog/default/resource/payments.prod');
  const panel = page.getByTestId('cluster-access');
  const contexts = panel.getByTestId('cluster-access-contexts');
  const prod = sandbox.state.clusters.filter(c => c.environment === 'prod');
  for (const cluster of prod) {
    await expect(
      contexts.getByRole('row', {
        name: new RegExp(`^${cluster.name}/payments\\b`),
      }),
    ).toBeVisible();
  }
  // Only those: one header row and a row per prod cluster.
  await expect(contexts.getByRole('row')).toHaveCount(prod.length + 1);
  await expect(
    panel.getByTestId('cluster-access-install-command'),
  ).toBeVisible();
  // The catalog graph above it settles the page's height.
  await page.waitForLoadState('networkidle');
  await screenshot(page, 'cluster-access-namespace');
});

test("another team's member is told the panel is not theirs, and sees no context", async ({
  page,
}) => {
  await signInAs(page, 'bob');
  await page.goto('/catalog/default/resource/payments.prod');
  await expect(page.getByTestId('cluster-access-forbidden')).toBeVisible();
  await expect(page.getByTestId('cluster-access-contexts')).toHaveCount(0);
});

test("a person's own sign-in is all kubectl needs: the Backstage CLI's OAuth (PKCE) in the browser, then the credential plugin and kubectl without any token handed over", async ({
  page,
  request,
  baseURL,
}) => {
  test.setTimeout(240_000);
  const portal = new URL(baseURL!).origin;
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'tenancy-cli-login-'));
  const env = {
    PATH: `${path.dirname(process.execPath)}:${process.env.PATH}`,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, 'config'),
    XDG_DATA_HOME: path.join(home, 'data'),
    XDG_CACHE_HOME: path.join(home, 'cache'),
  };
  try {
    // Backstage's own CLI sign-in: it prints the authorize URL and waits for
    // the browser to come back to its loopback callback with a code.
    const login = spawn(
      path.join(REPO, 'node_modules/.bin/backstage-cli'),
      ['auth', 'login', '--backend-url', portal, '--no-browser'],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    login.stdout.on('data', chunk => (out += chunk));
    login.stderr.on('data', chunk => (out += chunk));
    const exited = new Promise<number>(resolve =>
      login.on('exit', code => resolve(code ?? 1)),
    );
    await expect
      .poll(() => /Open this URL to continue: (\S+)/.exec(out)?.[1], {
        timeout: 60_000,
      })
      .toBeTruthy();
    const authorizeUrl = /Open this URL to continue: (\S+)/.exec(out)![1];

    // alice approves it in the portal, signed in as herself.
    await signInAs(page, 'alice');
    await page.goto(authorizeUrl);
    await page.getByRole('button', { name: 'Authorize' }).click();
    await expect
      .poll(() => exited.then(code => `${code} ${out}`), { timeout: 60_000 })
      .toMatch(/^0 [\s\S]*Login successful/);

    // No BACKSTAGE_TOKEN: the plugin uses that sign-in.
    const credential = await run(
      KUBE_LOGIN,
      ['get-token', '--portal', portal, '--cluster', 'sandbox-a'],
      env,
    );
    expect({ code: credential.code, stderr: credential.stderr }).toMatchObject({
      code: 0,
    });
    const exec = JSON.parse(credential.stdout);
    expect(exec.kind).toBe('ExecCredential');
    const claims = JSON.parse(
      Buffer.from(exec.status.token.split('.')[1], 'base64url').toString(),
    );
    expect(claims.sub).toBe('user:default/alice');
    expect(claims.aud).toBe('tenancy:sandbox-a');

    // And kubectl, with the panel's kubeconfig, is alice on the cluster.
    const answer = await request.get(
      '/api/tenancy/cluster-access/teams/default/team-payments/kubeconfig',
      {
        headers: {
          authorization: `Bearer ${await personaToken(request, 'alice')}`,
        },
      },
    );
    const kubeconfig = path.join(home, 'kubeconfig.yaml');
    fs.writeFileSync(kubeconfig, (await answer.json()).kubeconfig);
    const whoami = await run(
      kubectlBinary(),
      [
        `--kubeconfig=${kubeconfig}`,
        '--context=sandbox-a/payments',
        'auth',
        'whoami',
        '-o',
        'json',
      ],
      env,
    );
    expect({ code: whoami.code, stderr: whoami.stderr }).toMatchObject({
      code: 0,
    });
    const user = JSON.parse(whoami.stdout).status.userInfo;
    expect(user.username).toBe('user:default/alice');
    expect(user.groups).toContain('team-payments');
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
});
