import { CoreV1Api } from '@kubernetes/client-node';
import { expect, test } from '@playwright/test';
import { connectSandbox, SandboxFixtures } from '@tenancy/sandbox';
import { personaToken, screenshot, signInAsGuest } from './helpers';

/**
 * Day 2 from where people look (issue #17, acceptance 2 — offboarding): the
 * guest (team-payments) opens a namespace's page, follows "Offboard…", sees
 * the offboarding's own dry run (what would be deleted on each cluster),
 * types the name to confirm, and runs it; the namespace is checked gone on
 * the cluster itself, and the same form afterwards finds nothing to delete.
 */

let sandbox: SandboxFixtures;
test.beforeAll(() => {
  sandbox = connectSandbox();
});
test.afterAll(async () => {
  await sandbox.cleanup();
});

test.beforeEach(async ({ page }) => {
  await signInAsGuest(page);
});

test('offboarding from the namespace page: the dry run shows what goes, the typed name confirms, the namespace is gone, a rerun finds nothing', async ({
  page,
  request,
}) => {
  test.setTimeout(420_000);
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

  await page.goto(`/catalog/default/resource/${ns}.dev`);
  await page.getByRole('link', { name: 'Offboard…' }).click();

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
