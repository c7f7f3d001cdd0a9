import path from 'node:path';
import { YamlSource } from '../source';
import { checkActions } from './actions';
import { checkParameters, parameterNames } from './parameters';
import { checkParses } from './parse';
import { checkSchema } from './schema';
import { checkSkeleton } from './skeleton';

// The static checks alone, without a backend: fast, and precise about lines.

const fixtures = path.resolve(__dirname, '../../fixtures');
const fixture = (name: string) =>
  YamlSource.read(path.join(fixtures, name, 'template.yaml'));
const inline = (text: string) =>
  new YamlSource(path.join(fixtures, 'inline.yaml'), text);

describe('checkParses', () => {
  it('reports a YAML syntax error at its line', () => {
    const findings = checkParses(fixture('broken/parse'));
    expect(findings).toEqual([
      expect.objectContaining({
        file: path.join(fixtures, 'broken/parse/template.yaml'),
        line: 14,
        message: expect.stringMatching(/^YAML syntax: /),
      }),
    ]);
  });

  it('refuses a second document, at its start', () => {
    const findings = checkParses(
      inline('kind: Template\nmetadata: {name: a}\n---\nkind: Template\n'),
    );
    expect(findings).toEqual([
      expect.objectContaining({
        line: 3,
        column: 1,
        message: expect.stringContaining('2 YAML documents'),
      }),
    ]);
  });

  it('reports duplicate keys and non-mappings', () => {
    expect(checkParses(inline('a: 1\na: 2\n'))[0]).toMatchObject({
      line: 2,
      message: expect.stringContaining('unique'),
    });
    expect(checkParses(inline('- a\n- b\n'))[0].message).toContain(
      'not a mapping',
    );
    expect(checkParses(inline(''))[0].message).toContain('empty');
  });

  it('passes the good fixture', () => {
    expect(checkParses(fixture('good'))).toEqual([]);
  });
});

describe('checkSchema', () => {
  it('maps the schema error to the offending key', async () => {
    const findings = await checkSchema(fixture('broken/schema'));
    expect(findings).toEqual([
      expect.objectContaining({
        line: 11,
        column: 3,
        message: 'schema: /spec/steps must be array - type: array',
      }),
    ]);
  });

  it('reports a missing apiVersion at the top of the file', async () => {
    const findings = await checkSchema(
      inline(
        '# a comment\nkind: Template\nmetadata:\n  name: x\nspec:\n  type: service\n  steps: []\n',
      ),
    );
    expect(findings).toEqual([
      expect.objectContaining({
        line: 2,
        column: 1,
        message: expect.stringContaining("required property 'apiVersion'"),
      }),
    ]);
  });

  it("applies the catalog's field formats (metadata.name)", async () => {
    const findings = await checkSchema(
      inline(
        'apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: not a name\nspec:\n  type: service\n  steps: []\n',
      ),
    );
    expect(findings).toEqual([
      expect.objectContaining({
        line: 4,
        column: 3,
        message: expect.stringContaining('"metadata.name" is not valid'),
      }),
    ]);
  });

  it('reports another kind of entity at its kind', async () => {
    const findings = await checkSchema(
      inline(
        'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: x\nspec:\n  type: service\n',
      ),
    );
    expect(findings).toEqual([
      expect.objectContaining({
        line: 2,
        message: expect.stringContaining(
          'not a scaffolder.backstage.io/v1beta3 Template',
        ),
      }),
    ]);
  });

  it('passes the good fixture', async () => {
    expect(await checkSchema(fixture('good'))).toEqual([]);
  });
});

describe('checkActions', () => {
  it('reports an unknown action at its action: value', () => {
    const findings = checkActions(
      fixture('broken/actions'),
      new Set(['debug:log', 'fetch:template']),
    );
    expect(findings).toEqual([
      expect.objectContaining({
        line: 19,
        column: 15,
        message: expect.stringContaining(
          'action acme:does-not-exist is not registered',
        ),
      }),
    ]);
  });

  it('suggests a registered action for a typo', () => {
    const source = inline(
      'spec:\n  steps:\n    - id: a\n      action: fetch:templte\n',
    );
    expect(
      checkActions(source, new Set(['fetch:template']))[0].message,
    ).toContain('did you mean fetch:template?');
  });
});

describe('checkParameters', () => {
  it('reports parameters.nope at the reference', () => {
    expect(checkParameters(fixture('broken/parameters'))).toEqual([
      expect.objectContaining({
        line: 22,
        column: 56,
        message: expect.stringContaining(
          'parameters.nope is not a parameter of this template',
        ),
      }),
    ]);
  });

  it('finds references in if, each, block tags, output and bracket form', () => {
    const source = inline(
      [
        'spec:',
        '  parameters:',
        '    - properties: { a: {}, b: {} }',
        '  steps:',
        '    - id: s',
        "      if: ${{ parameters.a and parameters['missing1'] }}",
        '      each: ${{ parameters.missing2.items }}',
        '      input:',
        '        text: >-',
        '          {% if parameters.missing3 %}x{% endif %}',
        '          ${{ steps.s.output.parameters.x }} ${{ parameters.b }}',
        '  output:',
        '    text:',
        '      - content: ${{ parameters.missing4 }}',
      ].join('\n'),
    );
    const findings = checkParameters(source);
    expect(findings.map(f => [f.line, f.message.split(' ')[0]])).toEqual([
      [6, 'parameters.missing1'],
      [7, 'parameters.missing2'],
      [10, 'parameters.missing3'],
      [14, 'parameters.missing4'],
    ]);
  });

  it('collects properties from every page, conditional ones too', () => {
    expect(
      [
        ...parameterNames([
          { properties: { a: {} } },
          {
            properties: { b: {} },
            dependencies: { b: { oneOf: [{ properties: { c: {} } }] } },
            allOf: [{ if: {}, then: { properties: { d: {} } } }],
          },
        ]),
      ].sort(),
    ).toEqual(['a', 'b', 'c', 'd']);
    expect([...parameterNames({ properties: { x: {} } })]).toEqual(['x']);
  });

  it('passes the good fixture', () => {
    expect(checkParameters(fixture('good'))).toEqual([]);
  });
});

describe('checkSkeleton (static)', () => {
  it('reports a template syntax error in a skeleton file at its line', async () => {
    const { findings, files } = await checkSkeleton(fixture('broken/skeleton'));
    expect(files).toBe(2);
    expect(findings).toEqual([
      expect.objectContaining({
        file: path.join(fixtures, 'broken/skeleton/content/index.js'),
        line: 2,
        column: 15,
        message: expect.stringContaining('Unterminated variable tag'),
      }),
    ]);
  });

  it('reports a missing skeleton folder at the url', async () => {
    const { findings } = await checkSkeleton(
      fixture('broken/skeleton-missing'),
    );
    expect(findings).toEqual([
      expect.objectContaining({
        file: path.join(fixtures, 'broken/skeleton-missing/template.yaml'),
        line: 16,
        column: 14,
        message: expect.stringContaining('./skeleton: does not exist'),
      }),
    ]);
  });

  it('leaves errors that depend on the values to the dry run', async () => {
    expect(
      (await checkSkeleton(fixture('broken/skeleton-render'))).findings,
    ).toEqual([]);
  });

  it('passes the good fixture, file names included', async () => {
    expect(await checkSkeleton(fixture('good'))).toEqual({
      findings: [],
      files: 2,
    });
  });
});
