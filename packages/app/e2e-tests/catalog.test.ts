import { expect, test } from '@playwright/test';
import {
  personaToken,
  screenshot,
  screenshotThemes,
  signInAsGuest,
} from './helpers';

/**
 * Clusters, namespaces and AWS accounts in the catalog (issue #15,
 * acceptance 1), signed in as the guest — an ordinary member of
 * team-payments — on the sandbox: the team's Owned list, a namespace's page
 * with its quota bars per cluster, and the catalog graph of a seeded
 * service reading service → namespace → cluster.
 */

test.beforeEach(async ({ page }) => {
  await signInAsGuest(page);
});

test("the Owned filter lists the team's namespaces and its AWS account", async ({
  page,
  request,
}) => {
  test.setTimeout(240_000);
  const owned = (type: string, text = '') =>
    `/catalog?filters[kind]=resource&filters[user]=owned&filters[type]=${type}${
      text ? `&filters[text]=${text}` : ''
    }`;
  // The provider's first run and the catalog's processing follow the
  // portal's start: wait for the entity through the API first, so that a
  // slow catalog and a wrong page fail with different messages.
  const token = await personaToken(request, 'alice');
  await expect
    .poll(
      async () => {
        const status = (
          await request.get(
            '/api/catalog/entities/by-name/resource/default/payments.prod',
            { headers: { authorization: `Bearer ${token}` } },
          )
        ).status();
        // Not yet (404) is worth waiting for; anything else is not.
        if (status !== 200 && status !== 404) {
          throw new Error(`the catalog answered ${status} for payments.prod`);
        }
        return status;
      },
      {
        message: 'payments.prod in the catalog (the provider and processing)',
        timeout: 180_000,
        intervals: [2_000],
      },
    )
    .toBe(200);
  // Load the page again until it shows (not reload(): while the catalog
  // has no namespace yet, its type picker drops the unknown type from the
  // address, and a reload would keep showing all).
  await expect(async () => {
    await page.goto(owned('kubernetes-namespace'));
    await expect(
      page.getByRole('link', { name: 'payments (prod)', exact: true }),
    ).toBeVisible({ timeout: 5_000 });
  }).toPass({ timeout: 30_000, intervals: [2_000] });
  await expect(
    page.getByRole('link', { name: 'payments (dev)', exact: true }),
  ).toBeVisible();
  await expect(page.getByText('kubernetes-namespace').first()).toBeVisible();
  // Another team's namespaces are not the guest's.
  await expect(
    page.getByRole('link', { name: 'search (dev)', exact: true }),
  ).toHaveCount(0);
  await screenshot(page, 'catalog-owned-namespaces');

  // The sandbox seeds payments-dev (and a closed payments-legacy) for
  // team-payments; other tests vend and close more.
  await page.goto(owned('cloud-account', 'payments-dev'));
  await expect(
    page.getByRole('link', { name: 'payments-dev', exact: true }),
  ).toBeVisible();
  await expect(page.getByText('cloud-account').first()).toBeVisible();
  await screenshot(page, 'catalog-owned-accounts');
});

test('a namespace page shows its quota bars on each cluster', async ({
  page,
}) => {
  await page.goto('/catalog/default/resource/payments.prod');
  await expect(page.getByText('Namespace payments in prod')).toBeVisible();
  for (const cluster of ['sandbox-b', 'sandbox-c']) {
    await expect(page.getByText(`on ${cluster} (prod)`)).toBeVisible();
  }
  await expect(
    page.getByRole('progressbar', { name: /^pods: \d+ of \d+ used$/ }),
  ).toHaveCount(2);
  await expect(page.getByText(/You don't have access/)).toHaveCount(0);
  await screenshot(page, 'catalog-namespace');
});

test('the catalog graph of a seeded service reads service → namespace → cluster', async ({
  page,
}) => {
  await page.goto(
    '/catalog-graph?rootEntityRefs[]=component:default/payments-api&maxDepth=2&selectedRelations[]=dependsOn&unidirectional=true&mergeRelations=true&direction=LR&showFilters=false',
  );
  const graph = page.locator('svg').filter({ hasText: 'payments-api' });
  await expect(graph.first()).toBeVisible();
  for (const node of [
    'payments (prod)',
    'payments (dev)',
    'sandbox-a',
    'sandbox-b',
    'sandbox-c',
  ]) {
    await expect(graph.first().getByText(node, { exact: true })).toBeVisible();
  }
  await screenshot(page, 'catalog-graph');
});

test('search finds namespaces and clusters by name and by owner', async ({
  page,
}) => {
  test.setTimeout(180_000);
  // The search index is rebuilt every minute here (app-config.e2e.yaml).
  const results = (query: string) =>
    page.goto(`/search?query=${encodeURIComponent(query)}`);
  await expect(async () => {
    await results('team-search');
    await expect(
      page.getByRole('link', { name: 'search (prod)' }).first(),
    ).toBeVisible({ timeout: 3_000 });
  }).toPass({ timeout: 150_000, intervals: [3_000] });
  await expect(
    page.getByRole('link', { name: 'search (dev)' }).first(),
  ).toBeVisible();
  await screenshot(page, 'catalog-search-owner');

  await results('sandbox-b');
  await expect(
    page.getByRole('link', { name: 'sandbox-b', exact: true }).first(),
  ).toBeVisible();
  await screenshot(page, 'catalog-search-cluster');
});

test.describe('accessibility and layout: both themes at 1280 px, no clipped column, axe-core', () => {
  // The home page: pages.test.ts.

  test('a kubernetes-namespace Resource page', async ({ page }) => {
    test.setTimeout(240_000);
    await page.goto('/catalog/default/resource/payments.prod');
    await screenshotThemes(
      page,
      'catalog-namespace',
      async () => {
        await expect(
          page.getByText('Namespace payments in prod'),
        ).toBeVisible();
        await expect(
          page
            .getByRole('progressbar', { name: /^pods: \d+ of \d+ used$/ })
            .first(),
        ).toBeVisible();
      },
      { accessible: true },
    );
  });
});
