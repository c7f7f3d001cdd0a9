/* eslint jest/expect-expect: ["warn", { "assertFunctionNames": ["expect", "expectShippedTemplatesToPass"] }] */
import { JsonObject } from '@backstage/types';
import { formatTemplate } from './report';
import { runChecks, sandboxConfig } from './run';
import { CHECK_IDS, CheckStatus } from './types';
// Loaded up front: @backstage/backend-test-utils registers jest hooks when it
// is first loaded, which must happen outside of a test (runChecks loads it lazily).
import './backend';

// Every template the platform team ships (everything templates/locations.yaml
// lists) passes every check. onboard-tenant's dry run asks the clusters of
// its environment for a server-side dry run, so it needs the sandbox: the
// test command starts one and sets TENANCY_SANDBOX_DIR; without it only the
// checks that need no backend run.

jest.setTimeout(300_000);

async function expectShippedTemplatesToPass(options: {
  dryRun: boolean;
  backendConfig?: JsonObject;
}) {
  const report = await runChecks(options);
  expect(report.findings).toEqual([]);
  expect(report.templates.map(t => t.name)).toEqual(
    expect.arrayContaining(['onboard-tenant', 'example-nodejs-template']),
  );
  const expected = Object.fromEntries(
    CHECK_IDS.map(check => {
      if (!options.dryRun && ['actions', 'dry-run'].includes(check)) {
        return [check, 'skipped'];
      }
      // Without a sandbox there are no environments to check against: a
      // template whose only platform field is an environment has nothing
      // left to check.
      if (check === 'platform-values' && !options.backendConfig) {
        return [check, expect.stringMatching(/^(passed|skipped)$/)];
      }
      return [check, 'passed'];
    }),
  ) as Record<string, CheckStatus>;
  for (const template of report.templates) {
    // The CLI's report of the template in the failure message.
    expect({
      template: template.name,
      checks: Object.fromEntries(
        template.results.map(r => [r.check, r.status]),
      ),
    }).toEqual({ template: template.name, checks: expected });
    expect(formatTemplate(template).join('\n')).not.toContain('✘');
    // Every shipped template is versioned, its changelog up to date.
    expect({
      template: template.name,
      version: template.results.find(r => r.check === 'version')?.note,
    }).toEqual({
      template: template.name,
      version: expect.stringMatching(
        /^version \d+\.\d+\.\d+; \d+ changelog entr/,
      ),
    });
  }
}

if (process.env.TENANCY_SANDBOX_DIR) {
  it('passes every shipped template, dry run on the sandbox included', async () => {
    const sandbox = await sandboxConfig();
    if (!sandbox) {
      throw new Error(
        `TENANCY_SANDBOX_DIR=${process.env.TENANCY_SANDBOX_DIR} but no sandbox is running there`,
      );
    }
    await expectShippedTemplatesToPass({
      dryRun: true,
      backendConfig: sandbox.config,
    });
  });
} else {
  it('passes the static checks of every shipped template (set TENANCY_SANDBOX_DIR for the others)', async () => {
    await expectShippedTemplatesToPass({ dryRun: false });
  });
}
