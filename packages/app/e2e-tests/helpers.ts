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
