import { expect, test } from '@playwright/test';
import { connectSandbox, SandboxFixtures } from '@tenancy/sandbox';
import YAML from 'yaml';
import {
  expectAccessible,
  screenshot,
  signInAs,
  signInAsGuest,
} from './helpers';

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
