import { expect, test } from '@playwright/test';
import { openTemplate, screenshot, signInAsGuest } from './helpers';

/**
 * The templates' environment and size fields come from the portal's config
 * (issue #17, acceptance 1): the e2e portal's config adds `staging` (one
 * cluster, sandbox-a) to the sandbox's dev and prod, and no template names
 * it; the form offers it with its cluster, and the sizes with their quota.
 */

test.beforeEach(async ({ page }) => {
  await signInAsGuest(page);
});

test("the onboarding form offers the config's environments, staging included, and the sizes with their quota", async ({
  page,
}) => {
  await openTemplate(page, 'Onboard a team namespace');
  await page.getByRole('combobox', { name: 'Team' }).click();
  await page.getByRole('option', { name: 'Payments', exact: true }).click();
  await page
    .getByRole('textbox', { name: /^Namespace name/ })
    .fill('fields-probe');
  await page.getByRole('button', { name: 'Next' }).click();

  const environment = page.getByRole('radiogroup', { name: 'Environment' });
  await expect(environment.getByRole('radio')).toHaveCount(3);
  for (const [name, clusters] of [
    ['dev', '1 cluster: sandbox-a'],
    ['prod', '2 clusters: sandbox-b'],
    ['staging', '1 cluster: sandbox-a'],
  ]) {
    await expect(
      environment.getByRole('radio', { name: new RegExp(`^${name}`) }),
    ).toBeVisible();
    await expect(
      environment
        .locator('label')
        .filter({ hasText: new RegExp(`^${name}`) })
        .getByText(new RegExp(`^${clusters}`)),
    ).toBeVisible();
  }
  // Of several environments, none is chosen for the person; staging can be.
  await expect(environment.getByRole('radio', { checked: true })).toHaveCount(
    0,
  );
  await environment.getByRole('radio', { name: /^staging/ }).check();
  await expect(
    environment.getByRole('radio', { name: /^staging/ }),
  ).toBeChecked();

  // The sizes say the numbers the quota will have (the baseline's defaults).
  const size = page.getByRole('radiogroup', { name: 'Size' });
  await expect(
    size.getByRole('radio', { name: /^small \(default\)/ }),
  ).toBeChecked();
  await expect(
    size.getByText('2 CPU / 4 GiB requested, limits 4 CPU / 8 GiB, 20 pods', {
      exact: false,
    }),
  ).toBeVisible();
  await screenshot(page, 'create-onboard-tenant-fields');

  // The review page shows what was chosen.
  await page.getByRole('button', { name: 'Review' }).click();
  await expect(page.getByText('staging', { exact: true })).toBeVisible();
});

test('the Create service form offers the same environments', async ({
  page,
}) => {
  await openTemplate(page, 'Create service');
  await page.getByRole('textbox', { name: /^Name/ }).fill('fields-probe');
  await page
    .getByRole('textbox', { name: /^Description/ })
    .fill('Only opens the form');
  await page.getByRole('combobox', { name: 'Owning team' }).click();
  await page.getByRole('option', { name: 'Payments', exact: true }).click();
  await page.getByRole('button', { name: 'Next' }).click();
  const environment = page.getByRole('radiogroup', { name: 'Environment' });
  await expect(
    environment.getByRole('radio', { name: /^staging/ }),
  ).toBeVisible();
  await expect(environment.getByRole('radio')).toHaveCount(3);
});

test('the AWS account form offers the environments with an OU, and shows staging as having none', async ({
  page,
}) => {
  await openTemplate(page, 'Request an AWS account');
  await page.getByRole('combobox', { name: 'Team' }).click();
  await page.getByRole('option', { name: 'Payments', exact: true }).click();
  await page
    .getByRole('textbox', { name: /^Account name/ })
    .fill('fields-probe');
  await page
    .getByRole('textbox', { name: /^Root email address/ })
    .fill('aws+fields-probe@example.com');
  await page.getByRole('button', { name: 'Next' }).click();

  const environment = page.getByRole('radiogroup', { name: 'Environment' });
  // The sandbox's tenancy.aws.organizations.environmentOus, in order, then
  // staging (clusters, no OU), which cannot be chosen.
  await expect(environment.getByRole('radio')).toHaveCount(4);
  for (const [name, ou] of [
    ['dev', 'Workloads/Dev'],
    ['prod', 'Workloads/Prod'],
    ['sandbox', 'Sandbox'],
  ]) {
    await expect(
      environment.getByRole('radio', { name: new RegExp(`^${name}`) }),
    ).toBeEnabled();
    await expect(
      environment.getByText(`accounts go to OU ${ou}`, { exact: true }),
    ).toBeVisible();
  }
  await expect(
    environment.getByRole('radio', { name: /^staging/ }),
  ).toBeDisabled();
  await expect(
    environment.getByText(
      'no OU for its accounts yet: the platform team sets tenancy.aws.organizations.environmentOus.staging',
    ),
  ).toBeVisible();
  await environment.getByRole('radio', { name: /^sandbox/ }).check();
  await screenshot(page, 'create-aws-account-fields');
});
