import { JsonObject } from '@backstage/types';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { runChecks } from '../run';
import { YamlSource } from '../source';
import { sampleValues } from '../values';
import {
  checkPlatformValues,
  ENVIRONMENT_FIELD,
  ENVIRONMENTS_FIELD,
  platformFields,
  SIZE_FIELD,
} from './platform';

// The platform-values check on its own (no backend): the pickers' values
// against the config they read when the form runs.

const fixtures = path.resolve(__dirname, '../../fixtures');
const fixture = (name: string) =>
  YamlSource.read(path.join(fixtures, name, 'template.yaml'));
const inline = (text: string) =>
  new YamlSource(path.join(fixtures, 'inline.yaml'), text);

const environments = (envs: Record<string, string[]>): JsonObject => ({
  tenancy: { environments: envs },
});
const devProd = environments({ dev: ['sandbox-a'], prod: ['sandbox-b'] });
const check = (
  source: YamlSource,
  config: JsonObject | undefined,
  withSample = true,
) =>
  checkPlatformValues(source, {
    platform: { config, from: 'test config' },
    sample: withSample ? sampleValues(source) : undefined,
  });

/** A template with the given parameter properties (YAML, 8 spaces in). */
const template = (properties: string) =>
  inline(
    [
      'apiVersion: scaffolder.backstage.io/v1beta3',
      'kind: Template',
      'metadata:',
      '  name: inline',
      'spec:',
      '  parameters:',
      '    - title: Where',
      '      properties:',
      properties,
      '  steps: []',
    ].join('\n'),
  );

// Resource names without dots: ConfigReader reads `requests.cpu` as a path.
const XL = { pods: '400', services: '100', persistentvolumeclaims: '60' };

describe('checkPlatformValues', () => {
  it('reports a sample value that is not a configured environment, at its line in check-values.yaml', () => {
    const source = fixture('broken/platform-values');
    const { findings } = check(
      source,
      environments({ dev: ['sandbox-a'], prod: ['sandbox-b', 'sandbox-c'] }),
    );
    expect(findings).toEqual([
      {
        file: path.join(fixtures, 'broken/platform-values/check-values.yaml'),
        line: 2,
        column: 14,
        message:
          'sample value "staging" of parameter environment is not an environment of tenancy.environments (known: dev, prod)',
      },
    ]);
  });

  it('passes the same template once the config has that environment', () => {
    const outcome = check(
      fixture('broken/platform-values'),
      environments({
        dev: ['sandbox-a'],
        prod: ['sandbox-b'],
        staging: ['sandbox-a'],
      }),
    );
    expect(outcome).toEqual({
      findings: [],
      note: '2 platform fields (environment, size); environments: dev, prod, staging; sizes: small, medium, large (the defaults)',
      skipped: false,
    });
  });

  it('reports an enum on a picker field at the enum', () => {
    const source = template(
      [
        '        environment:',
        '          type: string',
        `          ui:field: ${ENVIRONMENT_FIELD}`,
        '          enum: [dev, prod]',
        "          enumNames: ['Development', 'Production']",
        '        size:',
        '          type: string',
        `          ui:field: ${SIZE_FIELD}`,
        '          enum: [small, large]',
      ].join('\n'),
    );
    // Even when every value of the enum is configured today.
    expect(check(source, devProd).findings).toEqual([
      expect.objectContaining({
        line: 12,
        column: 11,
        message:
          "parameter environment uses ui:field TenancyEnvironmentPicker, which offers the environments of tenancy.environments when the form runs: remove the enum and enumNames (a hard-coded list goes stale when the platform's config changes)",
      }),
      expect.objectContaining({
        line: 17,
        column: 11,
        message: expect.stringMatching(
          /^parameter size uses ui:field TenancyNamespaceSizePicker, which offers the sizes of tenancy\.baseline\.quotaPresets when the form runs: remove the enum \(/,
        ),
      }),
    ]);
  });

  it('reports a default that is not configured, at the default', () => {
    const source = template(
      [
        '        environment:',
        '          type: string',
        `          ui:field: ${ENVIRONMENT_FIELD}`,
        '          default: qa',
      ].join('\n'),
    );
    expect(check(source, devProd).findings).toEqual([
      {
        file: source.file,
        line: 12,
        column: 20,
        message:
          'default "qa" of parameter environment is not an environment of tenancy.environments (known: dev, prod)',
      },
    ]);
    // Reported once: the sample value derived from it is the same mistake.
    expect(check(source, devProd, false).findings).toHaveLength(1);
  });

  it('checks a list of environments (a new team) against those with clusters and an OU, each one', () => {
    const source = template(
      [
        '        environments:',
        '          type: array',
        '          items: { type: string, enum: [dev] }',
        `          ui:field: ${ENVIRONMENTS_FIELD}`,
        '          default: [dev, staging, sandbox]',
      ].join('\n'),
    );
    const config = {
      tenancy: {
        environments: { dev: ['sandbox-a'], staging: ['sandbox-a'] },
        aws: {
          organizations: {
            environmentOus: { dev: 'Workloads/Dev', sandbox: 'Sandbox' },
          },
        },
      },
    };
    // staging has no OU, sandbox no clusters: a team cannot have both there.
    expect(
      check(source, config).findings.map(f => [f.line, f.message]),
    ).toEqual([
      [
        11,
        "parameter environments uses ui:field TenancyEnvironmentsPicker, which offers the team environments of tenancy.environments and tenancy.aws.organizations.environmentOus when the form runs: remove the enum (a hard-coded list goes stale when the platform's config changes)",
      ],
      [
        13,
        'default ["dev","staging","sandbox"] of parameter environments has "staging", "sandbox", not an environment with clusters and an OU for accounts of tenancy.environments and tenancy.aws.organizations.environmentOus (known: dev)',
      ],
    ]);
  });

  it('checks an account form against the environments with an OU, not tenancy.environments', () => {
    const source = template(
      [
        '        environment:',
        '          type: string',
        `          ui:field: ${ENVIRONMENT_FIELD}`,
        '          ui:options:',
        '            for: accounts',
        '          default: staging',
      ].join('\n'),
    );
    const config = {
      tenancy: {
        environments: { dev: ['sandbox-a'], staging: ['sandbox-a'] },
        aws: {
          organizations: {
            environmentOus: { dev: 'Workloads/Dev', sandbox: 'Sandbox' },
          },
        },
      },
    };
    // staging has clusters but no OU: an account cannot go there.
    expect(check(source, config).findings).toEqual([
      {
        file: source.file,
        line: 14,
        column: 20,
        message:
          'default "staging" of parameter environment is not an environment with an OU for accounts of tenancy.aws.organizations.environmentOus (known: dev, sandbox)',
      },
    ]);
    const ok = check(
      template(
        [
          '        environment:',
          '          type: string',
          `          ui:field: ${ENVIRONMENT_FIELD}`,
          '          ui:options: { for: accounts }',
          '          default: sandbox',
        ].join('\n'),
      ),
      config,
    );
    expect(ok.findings).toEqual([]);
    expect(ok.note).toContain('account environments: dev, sandbox');
  });

  describe('namespace sizes', () => {
    const withDefault = (size: string) =>
      template(
        [
          '        size:',
          '          type: string',
          `          ui:field: ${SIZE_FIELD}`,
          `          default: ${size}`,
        ].join('\n'),
      );

    it('takes the defaults small, medium and large when no presets are configured', () => {
      expect(check(withDefault('medium'), undefined).findings).toEqual([]);
      expect(check(withDefault('xl'), devProd).findings).toEqual([
        expect.objectContaining({
          line: 12,
          column: 20,
          message:
            'default "xl" of parameter size is not a quota preset of tenancy.baseline.quotaPresets (known: small, medium, large)',
        }),
      ]);
    });

    it('accepts a preset of tenancy.baseline.quotaPresets, and refuses one that is not', () => {
      const custom: JsonObject = {
        tenancy: { baseline: { quotaPresets: { xl: XL } } },
      };
      const xl = check(withDefault('xl'), custom);
      expect(xl.findings).toEqual([]);
      expect(xl.note).toBe(
        '1 platform field (size); sizes: small, medium, large, xl',
      );
      // Configured presets are added to the defaults (readBaselineOptions,
      // which the onboard action and the picker use): small stays valid.
      expect(check(withDefault('small'), custom).findings).toEqual([]);
      expect(check(withDefault('huge'), custom).findings).toEqual([
        expect.objectContaining({
          message:
            'default "huge" of parameter size is not a quota preset of tenancy.baseline.quotaPresets (known: small, medium, large, xl)',
        }),
      ]);
    });

    it('reports config it cannot read at the field', () => {
      const bad: JsonObject = {
        tenancy: { baseline: { quotaPresets: { xl: { pods: 'many' } } } },
      };
      expect(check(withDefault('xl'), bad).findings).toEqual([
        expect.objectContaining({
          line: 11,
          column: 11,
          message: expect.stringMatching(
            /^cannot read tenancy\.baseline\.quotaPresets from test config to check parameter size: /,
          ),
        }),
      ]);
    });
  });

  it('skips environments without tenancy.environments, and the check when nothing else is left', () => {
    const env = template(
      [
        '        environment:',
        '          type: string',
        `          ui:field: ${ENVIRONMENT_FIELD}`,
        '          default: anything',
      ].join('\n'),
    );
    expect(check(env, undefined)).toEqual({
      findings: [],
      note: '1 platform field (environment); environments not checked: test config',
      skipped: true,
    });
    expect(check(env, { tenancy: {} }).note).toContain(
      'environments not checked: no tenancy.environments in test config',
    );
    // An enum is wrong whatever the config.
    const withEnum = template(
      [
        '        environment:',
        '          type: string',
        `          ui:field: ${ENVIRONMENT_FIELD}`,
        '          enum: [dev]',
      ].join('\n'),
    );
    expect(check(withEnum, undefined)).toMatchObject({
      findings: [expect.objectContaining({ line: 12 })],
      skipped: false,
    });
  });

  it('passes a template without the fields', () => {
    expect(check(fixture('broken/parameters'), devProd)).toEqual({
      findings: [],
      note: 'no platform fields',
      skipped: false,
    });
  });
});

describe('platformFields', () => {
  it('finds the fields on every page, conditional and nested ones too', () => {
    const source = inline(
      YAML.stringify({
        spec: {
          parameters: [
            {
              properties: {
                a: { type: 'string', 'ui:field': ENVIRONMENT_FIELD },
                other: { type: 'string', 'ui:field': 'EntityPicker' },
              },
            },
            {
              properties: { kind: { type: 'string' } },
              dependencies: {
                kind: {
                  oneOf: [{ properties: { b: { 'ui:field': SIZE_FIELD } } }],
                },
              },
              allOf: [
                {
                  if: { properties: { x: { 'ui:field': SIZE_FIELD } } },
                  then: { properties: { c: { 'ui:field': SIZE_FIELD } } },
                },
              ],
            },
            {
              properties: {
                target: {
                  type: 'object',
                  properties: { d: { 'ui:field': ENVIRONMENT_FIELD } },
                },
              },
            },
          ],
        },
      }),
    );
    expect(
      platformFields(source).map(f => [f.name, f.field, f.at.join('/')]),
    ).toEqual([
      ['a', ENVIRONMENT_FIELD, 'spec/parameters/0/properties/a'],
      ['c', SIZE_FIELD, 'spec/parameters/1/allOf/0/then/properties/c'],
      [
        'b',
        SIZE_FIELD,
        'spec/parameters/1/dependencies/kind/oneOf/0/properties/b',
      ],
      [
        'target.d',
        ENVIRONMENT_FIELD,
        'spec/parameters/2/properties/target/properties/d',
      ],
    ]);
  });
});

describe('runChecks', () => {
  const brokenFixture = path.join(fixtures, 'broken/platform-values');
  const saved = process.env.TENANCY_SANDBOX_DIR;
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'platform-values-'));
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.TENANCY_SANDBOX_DIR;
    else process.env.TENANCY_SANDBOX_DIR = saved;
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const platformResult = async (options: Parameters<typeof runChecks>[0]) => {
    const report = await runChecks({ paths: [brokenFixture], ...options });
    return {
      notes: report.notes,
      result: report.templates[0].results.find(
        r => r.check === 'platform-values',
      )!,
    };
  };

  it('reads the sandbox overlay without the dry run', async () => {
    // A sandbox's state as `yarn sandbox up` leaves it: state.json pointing
    // at the portal overlay.
    const overlay = path.join(tmp, 'app-config.sandbox.yaml');
    fs.writeFileSync(
      overlay,
      YAML.stringify(environments({ dev: ['sandbox-a'], qa: ['sandbox-b'] })),
    );
    fs.writeFileSync(
      path.join(tmp, 'state.json'),
      JSON.stringify({ overlay, clusters: [] }),
    );
    process.env.TENANCY_SANDBOX_DIR = tmp;
    const { notes, result } = await platformResult({ dryRun: false });
    expect(notes).toContainEqual(
      expect.stringMatching(/^sandbox: environments and quota presets from /),
    );
    expect(result).toMatchObject({
      status: 'failed',
      findings: [
        expect.objectContaining({
          line: 2,
          message: expect.stringContaining('(known: dev, qa)'),
        }),
      ],
    });
  });

  it('checks the sizes alone when no sandbox is running', async () => {
    process.env.TENANCY_SANDBOX_DIR = tmp;
    const { result } = await platformResult({ dryRun: false });
    expect(result).toMatchObject({
      status: 'passed',
      note: expect.stringContaining(
        'environments not checked: no sandbox running',
      ),
    });
  });

  it('prefers the given platform config', async () => {
    process.env.TENANCY_SANDBOX_DIR = tmp;
    const { result } = await platformResult({
      dryRun: false,
      platformConfig: environments({ staging: ['sandbox-a'] }),
    });
    expect(result).toMatchObject({ status: 'passed', findings: [] });
  });

  if (saved) {
    it('reads the running sandbox (TENANCY_SANDBOX_DIR)', async () => {
      const { result } = await platformResult({ dryRun: false });
      expect(result.status).toBe('failed');
      expect(result.findings[0].message).toMatch(
        /^sample value "staging" of parameter environment is not an environment of tenancy\.environments \(known: /,
      );
    });
  }
});
