import path from 'node:path';
import { runChecks } from './run';
import { CheckId, RunReport, TemplateReport } from './types';
// Loaded up front: @backstage/backend-test-utils registers jest hooks when it
// is first loaded, which must happen outside of a test (runChecks loads it lazily).
import './backend';

// Every check against a real test backend (the portal's scaffolder, catalog
// and permission features), once for all fixtures: each broken fixture
// fails exactly its check, at the right file and line; the good one passes.

jest.setTimeout(300_000);

const fixtures = path.resolve(__dirname, '../fixtures');
const at = (...parts: string[]) => path.join(fixtures, ...parts);

let report: RunReport;

beforeAll(async () => {
  report = await runChecks({
    paths: [at('good'), at('broken')].flatMap(p =>
      p.endsWith('broken')
        ? [
            'parse',
            'schema',
            'version',
            'actions',
            'parameters',
            'platform-values',
            'skeleton',
            'skeleton-missing',
            'skeleton-render',
            'dry-run',
            'dry-run-values',
            'dry-run-lookup',
          ].map(name => at('broken', name))
        : [p],
    ),
    // No sandbox: the fixtures use only the scaffolder's built-in actions.
    backendConfig: {},
    // What the environment picker offers (the test backend needs no clusters).
    platformConfig: {
      tenancy: { environments: { dev: ['sandbox-a'], prod: ['sandbox-b'] } },
    },
  });
});

function templateReport(folder: string): TemplateReport {
  const file = at(folder, 'template.yaml');
  const found = report.templates.find(t => t.file === file);
  if (!found) throw new Error(`no report for ${file}`);
  return found;
}

function statuses(t: TemplateReport): Record<CheckId, string> {
  return Object.fromEntries(t.results.map(r => [r.check, r.status])) as Record<
    CheckId,
    string
  >;
}

it('passes the good fixture on every check', () => {
  const good = templateReport('good');
  expect(statuses(good)).toEqual({
    parse: 'passed',
    schema: 'passed',
    version: 'passed',
    actions: 'passed',
    parameters: 'passed',
    'platform-values': 'passed',
    skeleton: 'passed',
    'dry-run': 'passed',
  });
  expect(good.results.find(r => r.check === 'platform-values')?.note).toBe(
    '2 platform fields (environment, size); environments: dev, prod; sizes: small, medium, large (the defaults)',
  );
  expect(good.results.find(r => r.check === 'version')?.note).toBe(
    'not versioned',
  );
  // The dry run rendered the skeleton, file names included.
  expect(good.results.find(r => r.check === 'dry-run')?.note).toContain(
    '2 files rendered',
  );
});

describe.each<[string, CheckId, string, number, RegExp]>([
  ['broken/parse', 'parse', 'template.yaml', 14, /^YAML syntax: /],
  [
    'broken/schema',
    'schema',
    'template.yaml',
    11,
    /^schema: \/spec\/steps must be array/,
  ],
  [
    'broken/version',
    'version',
    'template.yaml',
    9,
    /^version 1\.1\.0 has no entry in CHANGELOG\.md \(a "## 1\.1\.0" heading saying what changed\)$/,
  ],
  [
    'broken/actions',
    'actions',
    'template.yaml',
    19,
    /^action acme:does-not-exist is not registered in the portal's backend/,
  ],
  [
    'broken/parameters',
    'parameters',
    'template.yaml',
    22,
    /^parameters\.nope is not a parameter of this template/,
  ],
  [
    'broken/platform-values',
    'platform-values',
    'check-values.yaml',
    2,
    /^sample value "staging" of parameter environment is not an environment of tenancy\.environments \(known: dev, prod\)$/,
  ],
  [
    'broken/skeleton',
    'skeleton',
    'content/index.js',
    2,
    /^template syntax: Unterminated variable tag/,
  ],
  [
    'broken/skeleton-missing',
    'skeleton',
    'template.yaml',
    16,
    /^fetch:template url \.\/skeleton: does not exist/,
  ],
  [
    'broken/skeleton-render',
    'skeleton',
    'content/config.yaml',
    3,
    /^step fetch \(fetch:template\) did not render the skeleton with the sample values: Unknown template filter "slugify"/,
  ],
  [
    'broken/dry-run',
    'dry-run',
    'template.yaml',
    29,
    /^step list \(debug:log\) failed in the dry run: Invalid input passed to action debug:log, instance\.listWorkspace/,
  ],
  [
    'broken/dry-run-values',
    'dry-run',
    'check-values.yaml',
    2,
    /^the sample values do not match the parameters: name does not match pattern/,
  ],
  [
    'broken/dry-run-lookup',
    'dry-run',
    'check-values.yaml',
    2,
    /^\$awsAccountId looks "payments-legacy" up in the organization of tenancy\.aws\.organizations, which the checks' config does not have/,
  ],
])('%s', (folder, check, file, line, message) => {
  it(`fails only the ${check} check`, () => {
    const failedChecks = templateReport(folder)
      .results.filter(r => r.status === 'failed')
      .map(r => r.check);
    expect(failedChecks).toEqual([check]);
  });

  it(`points at ${file}:${line}`, () => {
    const result = templateReport(folder).results.find(r => r.check === check)!;
    expect(result.findings).toEqual([
      expect.objectContaining({
        file: at(folder, file),
        line,
        message: expect.stringMatching(message),
      }),
    ]);
  });
});

it("shows the failed step's own log lines", () => {
  const [finding] = templateReport('broken/dry-run').results.find(
    r => r.check === 'dry-run',
  )!.findings;
  expect(finding.details).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/Running debug:log in dry-run mode/),
      expect.stringContaining('"listWorkspace": "sideways"'),
    ]),
  );
  // Not the lines of the step before it.
  expect(finding.details!.join('\n')).not.toContain('Hello sample');
});
