import { expect, test } from '@playwright/test';
import { signInAs } from './helpers';

/**
 * The templates' team field (TenancyTeamPicker, issue #17): the teams a
 * person may act for, as the actions decide, signed in as the sandbox's
 * real personas with the shipped permission policy.
 */

function offboardLink(tenant: string) {
  return `/create/templates/default/offboard-namespace?formData=${encodeURIComponent(
    JSON.stringify({ tenant, namespace: 'search', environment: 'dev' }),
  )}`;
}

test('the platform team keeps another team filled in by a link, and may pick any team', async ({
  page,
}) => {
  await signInAs(page, 'pat');
  await page.goto(offboardLink('group:default/team-search'));
  const team = page.getByRole('combobox', { name: 'Team' });
  await expect(team).toHaveValue('Search');
  await expect(
    page.getByText('As the platform team, you can pick any team.', {
      exact: false,
    }),
  ).toBeVisible();
  await team.click();
  for (const name of ['Checkout', 'Payments', 'Platform', 'Search']) {
    await expect(page.getByRole('option', { name, exact: true })).toBeVisible();
  }
});

test('a member is offered only their own team, and told when a link names another', async ({
  page,
}) => {
  await signInAs(page, 'alice');
  await page.goto(offboardLink('group:default/team-search'));
  await expect(
    page.getByText(
      /filled in for group:default\/team-search, which you are not a member of/,
    ),
  ).toBeVisible();
  const team = page.getByRole('combobox', { name: 'Team' });
  await expect(team).toHaveValue('');
  await team.click();
  await expect(page.getByRole('option')).toHaveText(['Payments']);
  await page.getByRole('option', { name: 'Payments', exact: true }).click();
  await expect(team).toHaveValue('Payments');
  await expect(
    page.getByText(/which you are not a member of/),
  ).not.toBeVisible();
});
