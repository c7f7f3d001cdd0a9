import { expect, test } from '@playwright/test';
import {
  openKubernetesTab,
  openTemplate,
  screenshot,
  sidebar,
  signInAsGuest,
} from './helpers';

test.beforeEach(async ({ page }) => {
  await signInAsGuest(page);
});

test('a guest signs in and lands on the portal', async ({ page }) => {
  await expect(
    sidebar(page).getByRole('link', { name: 'Create', exact: true }),
  ).toBeVisible();
  // The developer home is the landing page (the guest is in team-payments).
  await expect(
    page
      .getByRole('list', { name: 'Your teams' })
      .getByRole('link', { name: 'team-payments' }),
  ).toBeVisible();
  await expect(
    page.getByRole('link', { name: 'Create service', exact: true }),
  ).toBeVisible();
  await screenshot(page, 'home');
});

test('the catalog lists the suite itself', async ({ page }) => {
  await sidebar(page)
    .getByRole('link', { name: 'Catalog', exact: true })
    .click();
  await expect(
    page.getByRole('link', { name: 'Tenancy portal (backend)' }),
  ).toBeVisible();
  await expect(
    page.getByRole('link', { name: 'Tenancy portal (frontend)' }),
  ).toBeVisible();
  await screenshot(page, 'catalog');
});

test('the Create page offers the published templates', async ({ page }) => {
  await sidebar(page)
    .getByRole('link', { name: 'Create', exact: true })
    .click();
  await expect(page).toHaveURL(/\/create/);
  await expect(
    page.getByText('Create service', { exact: true }).first(),
  ).toBeVisible();
  await expect(page.getByText('Onboard a team namespace')).toBeVisible();
  await expect(page.getByText('Example Node.js Template')).toBeVisible();
  await screenshot(page, 'create');
});

test('an entity page shows its owner and system', async ({ page }) => {
  await page.goto('/catalog');
  await page.getByRole('link', { name: 'Tenancy portal (backend)' }).click();
  await expect(page).toHaveURL(
    /\/catalog\/default\/component\/tenancy-backend/,
  );
  await expect(page.getByText('About', { exact: true })).toBeVisible();
  await expect(
    page.getByRole('link', { name: 'guests' }).first(),
  ).toBeVisible();
  await expect(
    page.getByRole('link', { name: 'Tenancy' }).first(),
  ).toBeVisible();
  await screenshot(page, 'entity');
});

test("Backstage's own Kubernetes tab sends a team member to the Health tab, and never asks the backend", async ({
  page,
}) => {
  // The tab reads every cluster with the portal's identity, for any team's
  // entity: the shipped policy keeps kubernetes.resources.read to the
  // platform team (tenancy.test.ts has its view). The guest's own service:
  const kubernetesCalls: string[] = [];
  page.on('request', request => {
    if (new URL(request.url()).pathname.startsWith('/api/kubernetes/')) {
      kubernetesCalls.push(request.url());
    }
  });
  await openKubernetesTab(page, 'payments-api');
  await expect(
    page.getByText("The Kubernetes tab is the platform team's"),
  ).toBeVisible();
  await expect(page.getByText(/Permission required/)).toHaveCount(0);
  await expect(page.getByText(/payments-api-[a-z0-9]+-[a-z0-9]+/)).toHaveCount(
    0,
  );
  await expect(page.getByText('sandbox-a', { exact: true })).toHaveCount(0);
  await screenshot(page, 'kubernetes-tab-member');
  // Backstage's tab asks every 10 s; this one never asked.
  await page.waitForTimeout(11_000);
  expect(kubernetesCalls).toEqual([]);
  // And sends them where their team's view is.
  await page.getByRole('link', { name: 'Open the Health tab' }).click();
  await expect(page).toHaveURL(
    /\/catalog\/default\/component\/payments-api\/health\/?$/,
  );
});

test('the account vending and onboarding templates open their forms', async ({
  page,
}) => {
  for (const [title, shot, field] of [
    ['Request an AWS account', 'create-aws-account-form', 'Account name'],
    [
      'Onboard a team namespace',
      'create-onboard-tenant-form',
      'Namespace name',
    ],
  ]) {
    await openTemplate(page, title);
    await expect(page.getByText(field).first()).toBeVisible();
    await screenshot(page, shot);
  }
});
