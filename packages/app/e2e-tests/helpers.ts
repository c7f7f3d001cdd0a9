import { expect, Page } from '@playwright/test';
import path from 'node:path';

/** Where every end-to-end test leaves a screenshot (git-ignored). */
const screenshotDir = path.resolve(__dirname, '../../../var/screenshots');

/** A full-page screenshot (or the viewport only) in var/screenshots/. */
export async function screenshot(page: Page, name: string, fullPage = true) {
  await page.screenshot({
    path: path.join(screenshotDir, `${name}.png`),
    fullPage,
  });
}

export function sidebar(page: Page) {
  return page.getByRole('navigation', { name: 'sidebar nav' });
}

/** Signs in as the guest and waits until the portal's sidebar is there. */
export async function signInAsGuest(page: Page) {
  await page.goto('/');
  const enter = page.getByRole('button', { name: 'Enter' });
  await expect(enter).toBeVisible();
  await enter.click();
  await expect(
    sidebar(page).getByRole('link', { name: 'Catalog', exact: true }),
  ).toBeVisible();
}

/**
 * Signs in as one of the sandbox's personas — alice, bob, carol (members of
 * team-payments, team-search, team-checkout) or pat (the platform team) —
 * through the app's own sign-in page. The app offers the guest sign-in; the
 * page's call for the guest's identity is answered by the portal's real
 * personas sign-in (`/api/auth/personas/refresh`, sandbox only) for that
 * person, so every request after it carries their real token and the real
 * permission policy decides.
 */
export async function signInAs(page: Page, persona: string) {
  await page.route('**/api/auth/guest/refresh*', async route => {
    // The browser's own request (its Origin, cookies), sent to the personas
    // sign-in instead, naming the persona.
    const response = await route.fetch({
      url: route.request().url().replace('/auth/guest/', '/auth/personas/'),
      headers: {
        ...(await route.request().allHeaders()),
        'x-tenancy-persona': persona,
      },
    });
    await route.fulfill({ response });
  });
  await signInAsGuest(page);
}
