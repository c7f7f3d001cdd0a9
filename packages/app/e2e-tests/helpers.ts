import AxeBuilder from '@axe-core/playwright';
import { APIRequestContext, expect, Locator, Page } from '@playwright/test';
import fs from 'node:fs';
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

/**
 * Opens Create and chooses the template of this title: the nearest ancestor
 * of the title that holds a Choose button is its card.
 */
export async function openTemplate(page: Page, title: string) {
  await page.goto('/create');
  const card = page
    .getByText(title, { exact: true })
    .first()
    .locator('xpath=ancestor::*[.//button[normalize-space()="Choose"]][1]');
  await card.getByRole('button', { name: 'Choose' }).click();
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

/**
 * A Backstage token for one of the sandbox's personas (see {@link signInAs}),
 * from the same personas sign-in the app's page is answered by: for calling
 * the portal's API directly (`Authorization: Bearer …`).
 */
export async function personaToken(
  request: APIRequestContext,
  persona: string,
): Promise<string> {
  const response = await request.get('/api/auth/personas/refresh', {
    headers: {
      'x-requested-with': 'XMLHttpRequest',
      'x-tenancy-persona': persona,
    },
  });
  expect(response.ok(), `sign-in as ${persona}: ${response.status()}`).toBe(
    true,
  );
  const token = (await response.json())?.backstageIdentity?.token;
  expect(typeof token, `a token for ${persona}`).toBe('string');
  return token;
}

/** Fails the test at the end (soft) rather than at once. */
interface CheckOptions {
  soft?: boolean;
}

/** The WCAG levels the portal is held to (axe-core's rule tags). */
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/**
 * Runs axe-core (WCAG 2.0/2.1 A and AA) on the page as it is now, writes
 * every violation (any impact) to var/screenshots/axe-<name>.json, and fails
 * when any is serious or critical, listing each: rule, impact, what it asks
 * for and up to three of the elements.
 *
 * `include` scopes the check to part of the page (a CSS selector). Use it
 * only for violations in Backstage's own chrome (sidebar, header) that this
 * repository cannot fix, and say which in a comment where you do.
 */
export async function expectAccessible(
  page: Page,
  name: string,
  options: CheckOptions & { include?: string } = {},
) {
  let builder = new AxeBuilder({ page }).withTags(WCAG_TAGS);
  if (options.include) builder = builder.include(options.include);
  const results = await builder.analyze();
  const violations = results.violations.map(v => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({
      target: n.target.map(String).join(' '),
      html: n.html,
      summary: n.failureSummary,
    })),
  }));
  fs.mkdirSync(screenshotDir, { recursive: true });
  fs.writeFileSync(
    path.join(screenshotDir, `axe-${name}.json`),
    `${JSON.stringify(
      { url: page.url(), scope: options.include ?? 'page', violations },
      null,
      2,
    )}\n`,
  );
  // One line per violation in the test's output, whatever its impact.
  for (const v of violations) {
    // eslint-disable-next-line no-console
    console.log(
      `[axe] ${name}: ${v.id} (${v.impact}) ×${v.nodes.length}: ${v.nodes
        .slice(0, 3)
        .map(n => n.target)
        .join(' | ')}`,
    );
  }
  const serious = violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(
      v =>
        `${v.id} (${v.impact}): ${v.help} — ${
          v.nodes.length
        } element(s), e.g. ${v.nodes
          .slice(0, 3)
          .map(n => n.target)
          .join(' | ')}; the first: ${v.nodes[0]?.html.slice(0, 160)}`,
    );
  (options.soft ? expect.soft : expect)(
    serious,
    `axe-core: serious or critical WCAG 2.1 AA violations on ${name} (${page.url()}); all of them in var/screenshots/axe-${name}.json`,
  ).toEqual([]);
}

/**
 * Every table column header (`th`, `[role=columnheader]`) that is rendered
 * can be seen: it lies within the viewport horizontally, or within an
 * ancestor that scrolls horizontally (overflow-x auto or scroll, with more
 * content than room), which must then be within the viewport itself. A
 * header cut off by an ancestor that hides its overflow is clipped too.
 * Fails naming each clipped header's text and its edges against the
 * viewport's (or the clipping ancestor's).
 */
export async function expectNoClippedColumns(
  page: Page,
  options: CheckOptions = {},
) {
  const clipped = await page.evaluate(() => {
    const viewport = document.documentElement.clientWidth;
    const problems: string[] = [];
    const describe = (el: Element) =>
      `<${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${
        typeof el.className === 'string' && el.className
          ? `.${el.className.trim().split(/\s+/).slice(0, 2).join('.')}`
          : ''
      }>`;
    const headers = document.querySelectorAll('th, [role="columnheader"]');
    for (const header of Array.from(headers)) {
      const style = getComputedStyle(header);
      const rect = header.getBoundingClientRect();
      if (
        style.display === 'none' ||
        style.visibility === 'hidden' ||
        (rect.width === 0 && rect.height === 0)
      )
        continue;
      const text =
        (header.textContent ?? '').trim().replace(/\s+/g, ' ') ||
        header.getAttribute('aria-label') ||
        '(no text)';
      // The part that must be visible: the header, until it is inside a
      // horizontal scroller; from there on, the scroller.
      let target = { left: rect.left, right: rect.right };
      let problem: string | undefined;
      for (
        let el = header.parentElement;
        el && el !== document.body && el !== document.documentElement;
        el = el.parentElement
      ) {
        const overflowX = getComputedStyle(el).overflowX;
        if (overflowX === 'visible') continue;
        const box = el.getBoundingClientRect();
        if (
          (overflowX === 'auto' || overflowX === 'scroll') &&
          el.scrollWidth > el.clientWidth
        ) {
          target = { left: box.left, right: box.right };
          continue;
        }
        if (target.left < box.left - 1 || target.right > box.right + 1) {
          problem = `spans x ${Math.round(target.left)}–${Math.round(
            target.right,
          )} px, cut off by ${describe(
            el,
          )} (overflow-x: ${overflowX}) at x ${Math.round(
            box.left,
          )}–${Math.round(box.right)} px`;
          break;
        }
      }
      const scrollX = window.scrollX;
      if (
        !problem &&
        (target.left + scrollX < -1 || target.right + scrollX > viewport + 1)
      ) {
        problem = `right edge at ${Math.round(
          target.right + scrollX,
        )} px (left ${Math.round(
          target.left + scrollX,
        )} px), viewport 0–${viewport} px`;
      }
      if (problem) problems.push(`column "${text}": ${problem}`);
    }
    return problems;
  });
  (options.soft ? expect.soft : expect)(
    clipped,
    `table columns clipped on ${page.url()} (not in the viewport nor in a horizontally scrolling container)`,
  ).toEqual([]);
}

export type ThemeId = 'light' | 'dark';

/** Carries the chosen theme to the page's init script (see useTheme). */
const THEME_COOKIE = 'tenancy-e2e-theme';
const themedPages = new WeakSet<Page>();

/**
 * Selects Backstage's light or dark theme for every load of the page from
 * now on (the next `goto` or `reload` shows it). The app's theme API
 * (AppThemeSelector of @backstage/core-app-api, used by the new frontend
 * system's app plugin) reads the choice from localStorage `theme` when the
 * app starts — what Settings → Theme writes. An init script writes it there
 * before the app's own scripts run, from a cookie this sets, so the choice
 * can change during a test. Without it the app follows the browser's
 * prefers-color-scheme.
 */
// Not a React hook: the name is the one this suite's checks are known by.
// eslint-disable-next-line react-hooks/rules-of-hooks
export async function useTheme(page: Page, theme: ThemeId) {
  if (!themedPages.has(page)) {
    themedPages.add(page);
    await page.addInitScript(cookie => {
      const match = document.cookie.match(
        new RegExp(`(?:^|;\\s*)${cookie}=(light|dark)`),
      );
      try {
        if (match) window.localStorage.setItem('theme', match[1]);
      } catch {
        // about:blank and other opaque origins have no localStorage
      }
    }, THEME_COOKIE);
  }
  const current = page.url();
  const url = current.startsWith('http')
    ? new URL(current).origin
    : process.env.PLAYWRIGHT_URL ?? 'http://localhost:3000';
  await page
    .context()
    .addCookies([{ name: THEME_COOKIE, value: theme, url: `${url}/` }]);
}

/** The relative luminance (0 black … 1 white) of the page body's background. */
export async function bodyLuminance(page: Page): Promise<number> {
  return page.evaluate(() => {
    const [r, g, b] = (
      getComputedStyle(document.body).backgroundColor.match(/[\d.]+/g) ?? []
    )
      .slice(0, 3)
      .map(Number)
      .map(c => {
        const s = c / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  });
}

/** Waits for what the caller says shows the page loaded, then for its spinners to go. */
async function settle(page: Page, ready: Locator | (() => Promise<unknown>)) {
  if (typeof ready === 'function') await ready();
  else await expect(ready).toBeVisible();
  // Backstage's <Progress /> is an indeterminate progress bar (no value).
  await expect(
    page.locator('[role="progressbar"]:not([aria-valuenow])'),
  ).toHaveCount(0);
  await page.evaluate(() => document.fonts.ready);
}

/**
 * The page at 1280 × 800 in the dark, then the light theme (it stays light):
 * for each, selects the theme, reloads, waits until `ready` (a locator that
 * must be visible, or a callback) and the loading spinners are gone, checks
 * the theme took (the body's background is dark, or light), takes a
 * full-page screenshot to var/screenshots/<name>-dark.png and
 * <name>-light.png and checks no table column is clipped
 * ({@link expectNoClippedColumns}; in the light theme at 1920 px wide too);
 * with `accessible`, also runs axe-core
 * ({@link expectAccessible}, axe-<name>-dark.json and -light.json).
 * The checks are soft, so both themes are always captured; the test fails
 * at its end.
 */
export async function screenshotThemes(
  page: Page,
  name: string,
  ready: Locator | (() => Promise<unknown>),
  options: { accessible?: boolean; include?: string } = {},
) {
  await page.setViewportSize({ width: 1280, height: 800 });
  for (const theme of ['dark', 'light'] as const) {
    // eslint-disable-next-line react-hooks/rules-of-hooks
    await useTheme(page, theme);
    await page.reload();
    await settle(page, ready);
    const luminance = await bodyLuminance(page);
    if (theme === 'dark')
      expect
        .soft(luminance, `${name}: the dark theme's background is dark`)
        .toBeLessThan(0.2);
    else
      expect
        .soft(luminance, `${name}: the light theme's background is light`)
        .toBeGreaterThan(0.6);
    await page.screenshot({
      path: path.join(screenshotDir, `${name}-${theme}.png`),
      fullPage: true,
      animations: 'disabled',
    });
    await expectNoClippedColumns(page, { soft: true });
    if (theme === 'light') {
      // The other width people use: nothing clips at 1920 px either.
      await page.setViewportSize({ width: 1920, height: 1080 });
      await expectNoClippedColumns(page, { soft: true });
      await page.setViewportSize({ width: 1280, height: 800 });
    }
    if (options.accessible) {
      await expectAccessible(page, `${name}-${theme}`, {
        soft: true,
        include: options.include,
      });
    }
  }
}

/**
 * Milliseconds from the moment the browser had the whole response of `url`
 * (the last resource timing entry whose address contains it: its
 * responseEnd) to `renderedAt`, a `performance.now()` taken in the page.
 */
export async function msSinceResponse(
  page: Page,
  url: string,
  renderedAt: number,
): Promise<number> {
  const responseEnd = await page.evaluate(
    wanted =>
      (performance.getEntriesByType('resource') as PerformanceResourceTiming[])
        .filter(e => e.name.includes(wanted))
        .map(e => e.responseEnd)
        .pop(),
    url,
  );
  expect(responseEnd, `a resource timing entry for ${url}`).toBeDefined();
  return Math.round(renderedAt - responseEnd!);
}

/**
 * Runs a software template as a scaffolder task through the portal's API,
 * with a persona's token, and waits for it to end; fails with the task's
 * own error when it does not complete.
 */
export async function runTemplateTask(
  request: APIRequestContext,
  token: string,
  templateRef: string,
  values: Record<string, unknown>,
  timeout = 300_000,
): Promise<string> {
  const headers = { authorization: `Bearer ${token}` };
  const started = await request.post('/api/scaffolder/v2/tasks', {
    headers,
    data: { templateRef, values },
  });
  expect(started.ok(), await started.text()).toBe(true);
  const { id } = await started.json();
  let status: string | undefined;
  await expect
    .poll(
      async () => {
        status = (
          await (
            await request.get(`/api/scaffolder/v2/tasks/${id}`, { headers })
          ).json()
        )?.status;
        return status;
      },
      { message: `task ${id} of ${templateRef}`, timeout },
    )
    .toMatch(/^(completed|failed|cancelled)$/);
  if (status !== 'completed') {
    const events = await (
      await request.get(`/api/scaffolder/v2/tasks/${id}/events`, { headers })
    ).text();
    expect(status, `task ${id} of ${templateRef}: ${events.slice(-2000)}`).toBe(
      'completed',
    );
  }
  return id;
}

/** Opens a Component's page and its tab of Backstage's own Kubernetes plugin. */
export async function openKubernetesTab(page: Page, component: string) {
  await page.goto(`/catalog/default/component/${component}`);
  await page
    .getByRole('navigation', { name: 'Content navigation' })
    .getByRole('link', { name: 'Kubernetes' })
    .click();
  const escaped = component.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  await expect(page).toHaveURL(
    new RegExp(`/catalog/default/component/${escaped}/kubernetes/?$`),
  );
}
