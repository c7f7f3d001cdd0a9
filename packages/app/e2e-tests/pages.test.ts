import { expect, Page, test } from '@playwright/test';
import os from 'node:os';
import {
  ensureFixtureTenant,
  FIXTURE_NAMESPACES,
  FIXTURE_TEAM_REF,
} from './fixtureTenant';
import { msSinceResponse, screenshotThemes, signInAs } from './helpers';

/**
 * The pages of issue #16 in Chromium against the running portal: the
 * developer home, the team page's namespace × cluster matrix (with a
 * 50-namespace fixture team on the three clusters), the accounts table and
 * the pods troubleshooting dialog of the crash-looping seeded service. Each
 * in both themes at 1280 px, with no clipped column and no serious or
 * critical axe-core violation (screenshotThemes).
 */

function machine() {
  return `load average ${os.loadavg()[0].toFixed(1)} on ${
    os.cpus().length
  } CPUs`;
}

/**
 * Milliseconds from the moment the browser had the whole response of `url`
 * (its resource timing's responseEnd) to the first animation frame in which
 * `selector` matches `count` elements.
 */
async function msFromResponseTo(
  page: Page,
  url: string,
  selector: string,
  count: number,
) {
  const handle = await page.waitForFunction(
    ([sel, n]) =>
      document.querySelectorAll(sel as string).length >= (n as number)
        ? performance.now()
        : false,
    [selector, count] as const,
    { polling: 'raf', timeout: 120_000 },
  );
  return msSinceResponse(page, url, (await handle.jsonValue()) as number);
}

test("a developer's home: their teams, failing services, fullest quota, recent tasks and the Create actions", async ({
  page,
}) => {
  // alice is in team-payments; its ledger-worker is not ready on sandbox-c.
  await signInAs(page, 'alice');
  await page.goto('/');
  const teams = page.getByRole('list', { name: 'Your teams' });
  await expect(
    teams.getByRole('link', { name: 'team-payments' }),
  ).toBeVisible();
  await expect(
    // payments on the three clusters, and any namespace an earlier test
    // onboarded for the team.
    teams.getByText(/^\d+ namespaces? on 3 clusters · \d+ services/),
  ).toBeVisible();
  const failing = page.getByRole('list', { name: 'Failing services' });
  await expect(
    failing.getByRole('link', { name: 'ledger-worker' }),
  ).toHaveAttribute(
    'href',
    /\/catalog\/default\/component\/ledger-worker\/health$/,
  );
  await expect(
    page
      .getByRole('list', { name: 'Namespaces by quota use' })
      .getByText('payments on sandbox-a'),
  ).toBeVisible();
  for (const [name, template] of [
    ['Create service', 'create-service'],
    ['Onboard namespace', 'onboard-tenant'],
    ['Request AWS account', 'request-aws-account'],
  ]) {
    await expect(page.getByRole('link', { name, exact: true })).toHaveAttribute(
      'href',
      `/create/templates/default/${template}`,
    );
  }
  // No task of alice's yet on a fresh portal, or those of earlier tests.
  await expect(
    page
      .getByRole('list', { name: 'Recent tasks' })
      .or(page.getByText('You have run no template yet.')),
  ).toBeVisible();
  await screenshotThemes(
    page,
    'home',
    teams.getByRole('link', { name: 'team-payments' }),
    { accessible: true },
  );
});

test('the team page of a 50-namespace team on three clusters: one row per namespace, rendered fast', async ({
  page,
}) => {
  test.setTimeout(300_000);
  await ensureFixtureTenant();
  await signInAs(page, 'pat');
  const [, name] = FIXTURE_TEAM_REF.split('/');
  const url = `/api/tenancy/tenants/default/${name}`;
  // The fleet snapshot picks the fixture up within a refresh (fixture.test.ts
  // waits for it); the page's own reload every 30 s would show it too.
  await page.goto(`/tenancy/tenants/default/${name}`);
  const ms = await msFromResponseTo(
    page,
    url,
    'table[aria-label="Namespaces by cluster"] tbody th[scope="row"]',
    FIXTURE_NAMESPACES.length,
  );
  // Measured and printed, never failed on (a busy machine is slow): the
  // issue's figure is ≤ 1 s.
  // eslint-disable-next-line no-console
  console.log(
    `[bench] team page 50 namespaces × 3 clusters rendered in ${ms} ms after the data arrived (${machine()})`,
  );

  const matrix = page.getByRole('table', { name: 'Namespaces by cluster' });
  await expect(matrix.getByRole('rowheader')).toHaveCount(50);
  await expect(page.getByRole('status')).toHaveText(
    '50 of 50 namespaces on 3 clusters',
  );
  for (const cluster of ['sandbox-a', 'sandbox-b', 'sandbox-c']) {
    await expect(
      matrix.getByRole('columnheader', { name: cluster, exact: true }),
    ).toBeVisible();
  }
  // Quota at 80 % or more stands out.
  await expect(
    matrix.getByText(/^▲ count\/configmaps 100%$/).first(),
  ).toBeVisible();

  await page.getByRole('combobox', { name: 'Sort by' }).click();
  await page.getByRole('option', { name: 'Quota use (fullest first)' }).click();
  const first = matrix.getByRole('rowheader').first();
  await expect(first).toContainText(/team-fixture-\d\d/);
  await first
    .locator('xpath=..')
    .getByRole('button', { name: /on sandbox-b/ })
    .click();
  await expect(
    page.getByRole('region', { name: /^team-fixture-\d\d on sandbox-b$/ }),
  ).toContainText('ResourceQuota');

  await page.getByRole('checkbox', { name: 'Needs attention only' }).click();
  await expect(page.getByRole('status')).toHaveText(
    /^\d+ of 50 namespaces on 3 clusters$/,
  );
  await page.getByRole('checkbox', { name: 'Needs attention only' }).click();
  await page.getByRole('combobox', { name: 'Sort by' }).click();
  await page.getByRole('option', { name: 'Name' }).click();

  await screenshotThemes(page, 'team-page-50-namespaces', matrix, {
    accessible: true,
  });
});

test("a team's AWS accounts as a table, a suspended one marked as such", async ({
  page,
}) => {
  await signInAs(page, 'alice');
  await page.goto('/tenancy/tenants/default/team-payments');
  const accounts = page.getByRole('table', { name: 'AWS accounts' });
  const active = accounts.getByRole('row', { name: /payments-dev/ });
  await expect(active.getByText('ACTIVE', { exact: true })).toBeVisible();
  await expect(
    active.getByRole('cell', { name: 'Dev', exact: true }),
  ).toBeVisible();
  await expect(active.getByRole('cell', { name: /^\d{12}$/ })).toBeVisible();
  await expect(
    active.getByRole('link', { name: /in the AWS console/ }),
  ).toHaveAttribute('href', /^https:\/\//);
  // Closed with CloseAccount by the sandbox's seed: AWS suspends it.
  const suspended = accounts.getByRole('row', { name: /payments-legacy/ });
  await expect(suspended.getByText('SUSPENDED', { exact: true })).toBeVisible();
  await screenshotThemes(page, 'team-accounts', accounts, { accessible: true });
});

test('the crash-looping service: pods, last termination reason and exit code, and its log lines, one click from the Health tab', async ({
  page,
}) => {
  // bob is in team-search, which owns search-indexer.
  await signInAs(page, 'bob');
  await page.goto('/catalog/default/component/search-indexer/health');
  await page
    .getByRole('button', {
      name: 'Pods & logs of search-indexer on sandbox-a',
    })
    .click();
  const dialog = page.getByRole('dialog', {
    name: 'Pods of Deployment search/search-indexer on sandbox-a',
  });
  const pod = dialog.getByRole('region', { name: /^Pod search-indexer-/ });
  await expect(pod.first()).toBeVisible();
  await expect(
    pod
      .first()
      .getByText(/^(waiting: CrashLoopBackOff|terminated: Error|running)$/),
  ).toBeVisible();
  await expect(
    pod.first().getByText(/^Error, exit code [1-9]\d*/),
  ).toBeVisible();
  const log = pod.first().getByLabel(/^Log of .* \((previous|current)\)$/);
  await expect(log).not.toHaveText('(empty)');
  await expect(log).toContainText(/\S/);
  await expect(
    pod.first().getByRole('list', { name: /^Events of / }),
  ).toBeVisible();

  // The dialog in both themes: reopen it after each reload.
  await screenshotThemes(
    page,
    'pods-troubleshooting',
    async () => {
      await page
        .getByRole('button', {
          name: 'Pods & logs of search-indexer on sandbox-a',
        })
        .click();
      await expect(pod.first()).toBeVisible();
      await expect(log).toContainText(/\S/);
    },
    { accessible: true },
  );
});
