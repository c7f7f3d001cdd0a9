import {
  DescribeAccountCommand,
  paginateListAccounts,
} from '@aws-sdk/client-organizations';
import { CoreV1Api } from '@kubernetes/client-node';
import { APIRequestContext, expect, Page, test } from '@playwright/test';
import { connectSandbox, SandboxFixtures } from '@tenancy/sandbox';
import {
  personaToken,
  runTemplateTask,
  screenshot,
  signInAs,
  signInAsGuest,
} from './helpers';

/**
 * Day 2 from where people look (issue #17, acceptance 2): offboarding from a
 * namespace's page, resizing from the team page, closing an AWS account from
 * the team page. Each form shows the action's own dry run before anything
 * changes; the result is checked on the cluster or in the organization
 * itself, and the same form afterwards finds nothing to change.
 */

let sandbox: SandboxFixtures;
test.beforeAll(() => {
  sandbox = connectSandbox();
});
test.afterAll(async () => {
  await sandbox.cleanup();
});

test('offboarding from the team page: the dry run shows what goes, the typed name confirms, the namespace is gone, a rerun finds nothing', async ({
  page,
  request,
}) => {
  test.setTimeout(420_000);
  // The guest is a member of team-payments.
  await signInAsGuest(page);
  const cluster = sandbox.cluster('sandbox-a');
  const core = cluster.kubeConfig('admin').makeApiClient(CoreV1Api);
  const ns = sandbox.uniqueName('day2');
  // A team-payments namespace on dev, as onboarding leaves it, with a
  // Service in it.
  await core.createNamespace({
    body: {
      metadata: {
        name: ns,
        labels: {
          'tenancy.dev/tenant': 'team-payments',
          'tenancy.dev/environment': 'dev',
        },
        annotations: { 'tenancy.dev/owner': 'group:default/team-payments' },
      },
    },
  });
  sandbox.deleteNamespaceOnCleanup(cluster, ns);
  await core.createNamespacedService({
    namespace: ns,
    body: { metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } },
  });

  // The catalog module's watch brings it in within seconds.
  const token = await personaToken(request, 'alice');
  await expect
    .poll(
      async () =>
        (
          await request.get(
            `/api/catalog/entities/by-name/resource/default/${ns}.dev`,
            { headers: { authorization: `Bearer ${token}` } },
          )
        ).status(),
      { message: `${ns}.dev in the catalog`, timeout: 120_000 },
    )
    .toBe(200);

  // The namespace's page offers it…
  await page.goto(`/catalog/default/resource/${ns}.dev`);
  await expect(page.getByRole('link', { name: 'Offboard…' })).toHaveAttribute(
    'href',
    /\/create\/templates\/default\/offboard-namespace\?formData=/,
  );
  // …and so does the team page, where this run starts: the namespace's
  // cell, then "Offboard from dev…".
  await page.goto('/tenancy/tenants/default/team-payments');
  await page.getByRole('textbox', { name: 'Filter namespaces' }).fill(ns);
  await page
    .getByRole('button', { name: new RegExp(`^${ns} on sandbox-a:`) })
    .click({ timeout: 60_000 });
  await page.getByRole('link', { name: 'Offboard from dev…' }).click();

  // The first page comes filled in from the namespace.
  await expect(
    page.getByRole('textbox', { name: /^Namespace name/ }),
  ).toHaveValue(ns);
  await expect(page.getByRole('radio', { name: /^dev/ })).toBeChecked();
  await page.getByRole('button', { name: 'Next' }).click();

  // The dry run, per cluster, with what is in the namespace.
  await expect(page.getByText('sandbox-a: dry-run')).toBeVisible({
    timeout: 30_000,
  });
  await expect(page.getByText(`Namespace/${ns} — would-delete`)).toBeVisible();
  await expect(page.getByText('Service/web — would-delete')).toBeVisible();
  await screenshot(page, 'offboard-namespace-preview');

  // Only the exact name goes on.
  const confirm = page.getByRole('textbox', { name: `Type ${ns} to confirm` });
  await confirm.fill(`${ns}-typo`);
  await page.getByRole('button', { name: 'Review' }).click();
  await expect(
    page.getByText(`Type "${ns}" exactly to confirm`).first(),
  ).toBeVisible();
  // Still on the form: no review page, nothing to create.
  await expect(page.getByRole('button', { name: 'Create' })).toHaveCount(0);
  await confirm.fill(ns);
  await page.getByRole('button', { name: 'Review' }).click();
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(/\/create\/tasks\/[^/]+$/);
  await expect(
    page.getByText(`is gone from every dev cluster`, { exact: false }),
  ).toBeVisible({ timeout: 180_000 });
  await screenshot(page, 'offboard-namespace-task');

  // Checked on the cluster itself, as kubectl would.
  await expect
    .poll(
      async () =>
        core.readNamespace({ name: ns }).then(
          () => 200,
          (e: { code?: number }) => e.code,
        ),
      { message: `${ns} gone from sandbox-a`, timeout: 60_000 },
    )
    .toBe(404);

  // The same form again: nothing left to delete.
  await page.goto(
    `/create/templates/default/offboard-namespace?formData=${encodeURIComponent(
      JSON.stringify({
        tenant: 'group:default/team-payments',
        namespace: ns,
        environment: 'dev',
      }),
    )}`,
  );
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByText('sandbox-a: absent')).toBeVisible({
    timeout: 30_000,
  });
});

/** Runs a portal action through Backstage's actions registry as a persona. */
async function invokeAction(
  request: APIRequestContext,
  token: string,
  action: string,
  input: Record<string, unknown>,
) {
  const response = await request.post(
    `/api/scaffolder/.backstage/actions/v1/actions/${encodeURIComponent(
      action,
    )}/invoke`,
    { headers: { authorization: `Bearer ${token}` }, data: input },
  );
  expect(response.ok(), `${action}: ${await response.text()}`).toBe(true);
  return (await response.json()).output;
}

/** Reviews the form and creates the task; resolves on the task's page. */
async function reviewAndCreate(page: Page) {
  await page.getByRole('button', { name: 'Review' }).click();
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(/\/create\/tasks\/[^/]+$/);
}

test('resizing from the team page: the dry run shows each quota before → after, the quota changes on every dev cluster, a rerun changes nothing', async ({
  page,
  request,
}) => {
  test.setTimeout(420_000);
  const ns = sandbox.uniqueName('resize');
  const token = await personaToken(request, 'alice');
  // Cleaned up wherever it lands, even if onboarding stops half-way.
  for (const c of ['sandbox-a', 'sandbox-b', 'sandbox-c']) {
    sandbox.deleteNamespaceOnCleanup(sandbox.cluster(c), ns);
  }
  // A team-payments namespace on every dev cluster, onboarded by the
  // portal's own action (small), as the onboarding template would.
  const onboarded = await invokeAction(
    request,
    token,
    'scaffolder:tenancy-namespace-onboard',
    {
      tenant: 'group:default/team-payments',
      namespace: ns,
      environment: 'dev',
      quotaPreset: 'small',
      dryRun: false,
    },
  );
  const devClusters: string[] = onboarded.clusters.map(
    (c: { cluster: string }) => c.cluster,
  );
  expect(devClusters.length).toBeGreaterThan(0);
  const presets: Array<{ name: string; hard: Record<string, string> }> = (
    await (
      await request.get('/api/tenancy/quota-presets', {
        headers: { authorization: `Bearer ${token}` },
      })
    ).json()
  ).presets;
  const large = presets.find(p => p.name === 'large')!;
  const small = presets.find(p => p.name === 'small')!;

  await signInAs(page, 'alice');
  await page.goto('/tenancy/tenants/default/team-payments');
  await page.getByRole('textbox', { name: 'Filter namespaces' }).fill(ns);
  const first = devClusters[0];
  // The team page reads the clusters every few seconds: the new namespace
  // shows up without a reload.
  await page
    .getByRole('button', { name: new RegExp(`^${ns} on ${first}:`) })
    .click({ timeout: 60_000 });
  await page.getByRole('link', { name: 'Resize in dev…' }).click();

  // The first page comes filled in; the new size is picked.
  await expect(
    page.getByRole('textbox', { name: /^Namespace name/ }),
  ).toHaveValue(ns);
  await page.getByRole('radio', { name: /^large/ }).check();
  await page.getByRole('button', { name: 'Next' }).click();

  // The resize's own dry run: each cluster's quota, before → after.
  for (const c of devClusters) {
    await expect(page.getByText(`${c}: dry-run`)).toBeVisible({
      timeout: 30_000,
    });
  }
  await expect(
    page.getByText(`ResourceQuota/tenant-quota — would-update: `).first(),
  ).toContainText(
    `requests.cpu ${small.hard['requests.cpu']} → ${large.hard['requests.cpu']}`,
  );
  await screenshot(page, 'resize-namespace-preview');
  await reviewAndCreate(page);
  await expect(
    page.getByText(`has the large quota on every dev cluster`, {
      exact: false,
    }),
  ).toBeVisible({ timeout: 180_000 });
  await screenshot(page, 'resize-namespace-task');

  // Checked on each cluster itself, as kubectl would.
  for (const c of devClusters) {
    const quota = await sandbox
      .cluster(c)
      .kubeConfig('admin')
      .makeApiClient(CoreV1Api)
      .readNamespacedResourceQuota({ name: 'tenant-quota', namespace: ns });
    expect(quota.spec?.hard?.['requests.cpu']).toBe(large.hard['requests.cpu']);
    expect(quota.spec?.hard?.pods).toBe(large.hard.pods);
  }

  // The same form again: nothing would change.
  await page.goto(
    `/create/templates/default/resize-namespace?formData=${encodeURIComponent(
      JSON.stringify({
        tenant: 'group:default/team-payments',
        namespace: ns,
        environment: 'dev',
        quotaPreset: 'large',
      }),
    )}`,
  );
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(
    page
      .getByText('ResourceQuota/tenant-quota — would-be-unchanged: no change')
      .first(),
  ).toBeVisible({ timeout: 30_000 });
});

test('closing an AWS account from the team page: the dry run shows its state, the typed id confirms, AWS reports it closed, a rerun changes nothing', async ({
  page,
  request,
}) => {
  test.setTimeout(600_000);
  const name = sandbox.uniqueName('close');
  const token = await personaToken(request, 'alice');
  // A new team-payments account, through the portal's own request template
  // (it registers the account in the catalog).
  await runTemplateTask(
    request,
    token,
    'template:default/request-aws-account',
    {
      tenant: 'group:default/team-payments',
      accountName: name,
      email: `aws+${name}@example.com`,
      environment: 'dev',
      costCentre: 'CC-1042',
    },
  );
  // Its id, as the organization has it.
  const { client } = sandbox.organizations();
  let accountId: string | undefined;
  for await (const listed of paginateListAccounts({ client }, {})) {
    accountId ??= listed.Accounts?.find(a => a.Name === name)?.Id;
  }
  expect(accountId, `account ${name} in the organization`).toMatch(/^\d{12}$/);

  await signInAs(page, 'alice');
  await page.goto('/tenancy/tenants/default/team-payments');
  const accounts = page.getByRole('table', { name: 'AWS accounts' });
  // The catalog has the account once its provider has read it.
  await expect(async () => {
    await page.reload();
    await expect(
      accounts.getByRole('link', { name: new RegExp(`^Close ${name}`) }),
    ).toBeVisible({ timeout: 5_000 });
  }).toPass({ timeout: 120_000 });
  await accounts
    .getByRole('link', { name: new RegExp(`^Close ${name}`) })
    .click();

  await expect(
    page.getByRole('textbox', { name: /^AWS account ID/ }),
  ).toHaveValue(accountId!);
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByText(`Account ${accountId}: ACTIVE`)).toBeVisible({
    timeout: 30_000,
  });
  await expect(page.getByText(/^would be closed/)).toBeVisible();
  await screenshot(page, 'close-aws-account-preview');
  const confirm = page.getByRole('textbox', {
    name: `Type ${accountId} to confirm`,
  });
  await confirm.fill(accountId!);
  await reviewAndCreate(page);
  await expect(page.getByText(`Account ${accountId} of`)).toBeVisible({
    timeout: 240_000,
  });
  await screenshot(page, 'close-aws-account-task');

  // Checked in the organization itself, as the AWS SDK sees it.
  const { Account } = await client.send(
    new DescribeAccountCommand({ AccountId: accountId }),
  );
  expect(Account?.State ?? Account?.Status).toMatch(
    /^(SUSPENDED|PENDING_CLOSURE|CLOSED)$/,
  );

  // The same form again: already closed, nothing to change.
  await page.goto(
    `/create/templates/default/close-aws-account?formData=${encodeURIComponent(
      JSON.stringify({ tenant: 'group:default/team-payments', accountId }),
    )}`,
  );
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(
    page.getByText('already closed: the task would change nothing'),
  ).toBeVisible({ timeout: 30_000 });
});
