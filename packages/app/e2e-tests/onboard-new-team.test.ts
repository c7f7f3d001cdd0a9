import {
  Account,
  OrganizationsClient,
  paginateListAccounts,
} from '@aws-sdk/client-organizations';
import { CoreV1Api } from '@kubernetes/client-node';
import { APIRequestContext, expect, test } from '@playwright/test';
import { connectSandbox, SandboxFixtures } from '@tenancy/sandbox';
import { personaToken, screenshot, signInAs } from './helpers';

/**
 * Day 0 for a new team (issue #17, acceptance 4): the platform team runs
 * "Onboard a new team" in Chromium for team-newcomers (no namespace, no
 * account). A prod cluster is black-holed in the middle, so the run fails
 * there after the accounts and the other namespaces are made; once it
 * answers again, Start Over with the same values completes, and nothing is
 * duplicated: one account per environment in the organization (moto), the
 * namespace on every cluster of each environment, all in the catalog.
 */

let sandbox: SandboxFixtures;
test.beforeAll(() => {
  sandbox = connectSandbox();
});
test.afterAll(async () => {
  await sandbox.cleanup();
});

const TEAM = 'group:default/team-newcomers';
/** The sandbox's environments with clusters and an account OU (app-config.e2e.yaml's staging has no OU). */
const CLUSTERS: Record<string, string[]> = {
  dev: ['sandbox-a'],
  prod: ['sandbox-b', 'sandbox-c'],
};

async function accountsByEmail(client: OrganizationsClient, prefix: string) {
  const found: Account[] = [];
  for await (const page of paginateListAccounts({ client }, {})) {
    found.push(
      ...(page.Accounts ?? []).filter(a => a.Email?.startsWith(prefix)),
    );
  }
  return found;
}

async function taskStatus(
  request: APIRequestContext,
  token: string,
  id: string,
): Promise<string> {
  const task = await (
    await request.get(`/api/scaffolder/v2/tasks/${id}`, {
      headers: { authorization: `Bearer ${token}` },
    })
  ).json();
  return task.status;
}

test('onboarding a new team: an account and the namespace in each environment; a run broken by a black-holed cluster is finished by a rerun, nothing duplicated', async ({
  page,
  request,
}) => {
  test.setTimeout(600_000);
  const ns = sandbox.uniqueName('newteam');
  const emailPrefix = `aws+${ns}-`;
  for (const clusters of Object.values(CLUSTERS)) {
    for (const c of clusters) {
      sandbox.deleteNamespaceOnCleanup(sandbox.cluster(c), ns);
    }
  }
  const token = await personaToken(request, 'pat');
  const { client } = sandbox.organizations();

  await signInAs(page, 'pat');
  await page.goto('/create/templates/default/onboard-new-team');
  const team = page.getByRole('combobox', { name: 'Team' });
  await team.fill('Newcomers');
  await page.getByRole('option', { name: 'Newcomers', exact: true }).click();
  await page.getByRole('textbox', { name: /^Namespace name/ }).fill(ns);
  await page.getByRole('button', { name: 'Next' }).click();

  // Every environment with clusters and an account OU, chosen; staging
  // (clusters, no OU) shown, not choosable.
  await expect(page.getByRole('checkbox', { name: /^dev/ })).toBeChecked();
  await expect(page.getByRole('checkbox', { name: /^prod/ })).toBeChecked();
  await expect(page.getByRole('checkbox', { name: /^staging/ })).toBeDisabled();
  await page
    .getByRole('textbox', { name: /^Accounts' root email addresses/ })
    .fill(`${emailPrefix}{environment}@example.com`);
  await page.getByRole('textbox', { name: /^Cost centre/ }).fill('CC-2001');
  await screenshot(page, 'onboard-new-team-form');
  await page.getByRole('button', { name: 'Review' }).click();

  // The fault in the middle: a prod cluster stops answering.
  sandbox.blackholeCluster('sandbox-c');
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(/\/create\/tasks\/[^/]+$/);
  const first = page.url().split('/').pop()!;
  await expect
    .poll(() => taskStatus(request, token, first), {
      message: 'the first run, with sandbox-c black-holed',
      timeout: 300_000,
    })
    .toMatch(/^(failed|completed)$/);
  expect(await taskStatus(request, token, first)).toBe('failed');
  await screenshot(page, 'onboard-new-team-failed');
  // What it did before the fault stays: both accounts, the namespace where
  // the clusters answered.
  expect(
    (await accountsByEmail(client, emailPrefix)).map(a => a.Email).sort(),
  ).toEqual([
    `${emailPrefix}dev@example.com`,
    `${emailPrefix}prod@example.com`,
  ]);
  const core = (c: string) =>
    sandbox.cluster(c).kubeConfig('admin').makeApiClient(CoreV1Api);
  await core('sandbox-b').readNamespace({ name: ns });

  // The cluster answers again; the same values, once more.
  await sandbox.restoreCluster('sandbox-c');
  await page.getByRole('button', { name: 'Start Over' }).click();
  await expect(
    page.getByRole('textbox', { name: /^Namespace name/ }),
  ).toHaveValue(ns);
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('button', { name: 'Review' }).click();
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(/\/create\/tasks\/[^/]+$/);
  const second = page.url().split('/').pop()!;
  expect(second).not.toBe(first);
  await expect
    .poll(() => taskStatus(request, token, second), {
      message: 'the rerun',
      timeout: 300_000,
    })
    .toMatch(/^(failed|completed)$/);
  expect(await taskStatus(request, token, second)).toBe('completed');

  // The summary: each environment's account and the namespace per cluster.
  await expect(page.getByText('What the team now has')).toBeVisible({
    timeout: 30_000,
  });
  await expect(page.getByText(/sandbox-c \(created\)/).first()).toBeVisible();
  await screenshot(page, 'onboard-new-team-summary');

  // Nothing duplicated: one account per environment.
  const accounts = await accountsByEmail(client, emailPrefix);
  expect(accounts.map(a => a.Email).sort()).toEqual([
    `${emailPrefix}dev@example.com`,
    `${emailPrefix}prod@example.com`,
  ]);
  // The namespace on every cluster of each environment, the team's.
  for (const [environment, clusters] of Object.entries(CLUSTERS)) {
    for (const c of clusters) {
      const namespace = await core(c).readNamespace({ name: ns });
      expect({
        c,
        owner: namespace.metadata?.annotations?.['tenancy.dev/owner'],
        environment: namespace.metadata?.labels?.['tenancy.dev/environment'],
      }).toEqual({ c, owner: TEAM, environment });
    }
  }
  // In the catalog: the accounts and the namespaces, the team's.
  const headers = { authorization: `Bearer ${token}` };
  await expect
    .poll(
      async () => {
        const tenant = await (
          await request.get('/api/tenancy/tenants/default/team-newcomers', {
            headers,
          })
        ).json();
        return (tenant.accounts ?? []).map(
          (a: { accountId?: string }) => a.accountId,
        );
      },
      { message: "the team's accounts in the catalog", timeout: 120_000 },
    )
    // This run's (an earlier run on the same sandbox left its own).
    .toEqual(expect.arrayContaining(accounts.map(a => a.Id)));
  for (const environment of Object.keys(CLUSTERS)) {
    await expect
      .poll(
        async () =>
          (
            await request.get(
              `/api/catalog/entities/by-name/resource/default/${ns}.${environment}`,
              { headers },
            )
          ).status(),
        { message: `${ns}.${environment} in the catalog`, timeout: 120_000 },
      )
      .toBe(200);
  }
});
