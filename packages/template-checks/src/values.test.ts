import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { YamlSource } from './source';
import { sampleValues } from './values';

function templateIn(dir: string, parameters: string): YamlSource {
  const file = path.join(dir, 'template.yaml');
  fs.writeFileSync(
    file,
    `apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: t\nspec:\n  type: service\n  parameters:\n${parameters}  steps: []\n`,
  );
  return YamlSource.read(file);
}

describe('sampleValues', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'template-checks-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('derives values from default, const, enum, examples and pattern', () => {
    const template = templateIn(
      dir,
      [
        '    - required: [a, b, c, d, e]',
        '      properties:',
        '        a: { type: string, default: x }',
        '        b: { type: string, const: y }',
        '        c: { type: string, enum: [dev, prod] }',
        '        d: { type: string, examples: [group:default/team-a] }',
        "        e: { type: string, pattern: '^[a-z][-a-z0-9]*$' }",
        '        optional: { type: string }',
        '',
      ].join('\n'),
    );
    const sample = sampleValues(template);
    expect(sample.findings).toEqual([]);
    expect(sample.values).toEqual({
      a: 'x',
      b: 'y',
      c: 'dev',
      d: 'group:default/team-a',
      e: 'sample',
    });
  });

  it('fails clearly for a required value it cannot derive, at the parameter', () => {
    const template = templateIn(
      dir,
      [
        '    - properties: { a: { type: string } }',
        '    - required: [repoUrl]',
        '      properties:',
        '        repoUrl:',
        '          type: string',
        '          ui:field: RepoUrlPicker',
        '',
      ].join('\n'),
    );
    expect(sampleValues(template).findings).toEqual([
      expect.objectContaining({
        file: template.file,
        line: 11,
        message: expect.stringContaining(
          'no sample value for the required parameter repoUrl',
        ),
      }),
    ]);
  });

  it('takes check-values.yaml, and --values over it', () => {
    const template = templateIn(
      dir,
      '    - required: [a, b]\n      properties:\n        a: { type: string }\n        b: { type: string, default: x }\n',
    );
    fs.writeFileSync(path.join(dir, 'check-values.yaml'), 'a: one\nb: two\n');
    expect(sampleValues(template).values).toEqual({ a: 'one', b: 'two' });
    const override = path.join(dir, 'override.yaml');
    fs.writeFileSync(override, 'b: three\n');
    const sample = sampleValues(template, override);
    expect(sample.values).toEqual({ a: 'one', b: 'three' });
    const origin = sample.origins.get('b');
    expect(origin?.kind === 'file' && origin.source.file).toBe(override);
  });
});
