import { defineConfig } from '@playwright/test';
import { generateProjects } from '@backstage/e2e-test-utils/playwright';

/**
 * End-to-end tests in a real Chromium against a running portal.
 *
 * `./run test` (or `./run e2e`) builds the frontend, starts the backend serving
 * it on an isolated port with a fresh SQLite folder, and points PLAYWRIGHT_URL
 * at it. Without PLAYWRIGHT_URL the tests expect `./run start` to be serving
 * the portal on http://localhost:3000.
 *
 * The browser is the machine's Chromium (TENANCY_CHROMIUM, default
 * /usr/bin/chromium): Playwright's own browser download is not reachable here.
 */
const chromium = process.env.TENANCY_CHROMIUM ?? '/usr/bin/chromium';

export default defineConfig({
  timeout: 60_000,
  expect: { timeout: 30_000 },
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 1,
  reporter: [
    ['list'],
    ['html', { open: 'never', outputFolder: 'var/e2e-report' }],
  ],
  use: {
    baseURL: process.env.PLAYWRIGHT_URL ?? 'http://localhost:3000',
    actionTimeout: 15_000,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: chromium,
      // The machine's network reaches package registries only: keep Chromium
      // from trying to phone home at start-up.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  outputDir: 'var/e2e-results',
  // One project per package with an e2e-tests folder; the machine's Chromium
  // rather than a Chrome channel.
  projects: generateProjects().map(project => ({
    ...project,
    use: { ...project.use, channel: undefined },
  })),
});
