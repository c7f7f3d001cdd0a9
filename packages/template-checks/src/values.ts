import { JsonObject, JsonValue } from '@backstage/types';
import fs from 'node:fs';
import path from 'node:path';
import { isMap } from 'yaml';
import { parameterPages } from './checks/parameters';
import { checkParses } from './checks/parse';
import { YamlSource } from './source';
import { Finding } from './types';

/** The sidecar with a template's sample input, next to its template.yaml. */
export const VALUES_FILE = 'check-values.yaml';

/** Where a sample value came from, to point at it when the scaffolder refuses it. */
export type ValueOrigin =
  | { kind: 'file'; source: YamlSource }
  | { kind: 'parameter'; page: number; how: string };

export interface SampleValues {
  values: JsonObject;
  origins: Map<string, ValueOrigin>;
  /** Required parameters without a value, and unreadable values files. */
  findings: Finding[];
}

/**
 * The sample input for a template's dry run. In order of precedence: the
 * `--values` file, the template's `check-values.yaml`, then per parameter
 * its `default`, `const`, first `enum` value, first of `examples`, or — for
 * a string with a `pattern` — the first of a few ordinary strings that
 * matches it. A required parameter with none of these is a finding at its
 * definition.
 */
export function sampleValues(
  template: YamlSource,
  overrideFile?: string,
): SampleValues {
  const values: JsonObject = {};
  const origins = new Map<string, ValueOrigin>();
  const findings: Finding[] = [];

  const files = [
    path.join(path.dirname(template.file), VALUES_FILE),
    ...(overrideFile ? [path.resolve(overrideFile)] : []),
  ].filter(f => fs.existsSync(f));
  const fromFiles: JsonObject = {};
  for (const file of files) {
    const source = YamlSource.read(file);
    const problems = checkParses(source);
    if (problems.length) {
      findings.push(...problems);
      continue;
    }
    if (!isMap(source.doc.contents)) continue;
    const data = source.value() as JsonObject;
    for (const [key, value] of Object.entries(data)) {
      fromFiles[key] = value;
      origins.set(key, { kind: 'file', source });
    }
  }

  const parameters = (template.value() as any)?.spec?.parameters;
  parameterPages(parameters).forEach((page, index) => {
    if (!page || typeof page !== 'object') return;
    const { properties = {}, required = [] } = page as {
      properties?: Record<string, JsonObject>;
      required?: string[];
    };
    for (const [name, schema] of Object.entries(properties)) {
      if (name in fromFiles || name in values) continue;
      const derived = deriveValue(schema);
      if (derived) {
        values[name] = derived.value;
        origins.set(name, { kind: 'parameter', page: index, how: derived.how });
      } else if (Array.isArray(required) && required.includes(name)) {
        const at = Array.isArray(parameters)
          ? ['spec', 'parameters', index, 'properties', name]
          : ['spec', 'parameters', 'properties', name];
        findings.push(
          template.finding(
            at,
            `no sample value for the required parameter ${name}: give it a default, an enum or examples, or add \`${name}: …\` to ${path.relative(
              process.cwd(),
              path.join(path.dirname(template.file), VALUES_FILE),
            )}`,
          ),
        );
      }
    }
  });
  return { values: { ...values, ...fromFiles }, origins, findings };
}

const CANDIDATES = [
  'sample',
  'sample-1',
  'sample1',
  'Sample',
  'SAMPLE',
  'sample_1',
  'a',
  '1',
  'sample@example.com',
  'https://example.com',
  'example.com',
];

function deriveValue(
  schema: JsonObject,
): { value: JsonValue; how: string } | undefined {
  if (!schema || typeof schema !== 'object') return undefined;
  if (schema.default !== undefined) {
    return { value: schema.default, how: 'default' };
  }
  if (schema.const !== undefined) return { value: schema.const, how: 'const' };
  if (Array.isArray(schema.enum) && schema.enum.length) {
    return { value: schema.enum[0], how: 'enum' };
  }
  if (Array.isArray(schema.examples) && schema.examples.length) {
    return { value: schema.examples[0], how: 'examples' };
  }
  if (schema.type === 'string' && typeof schema.pattern === 'string') {
    let pattern: RegExp;
    try {
      pattern = new RegExp(schema.pattern, 'u');
    } catch {
      return undefined;
    }
    const min = typeof schema.minLength === 'number' ? schema.minLength : 0;
    const max =
      typeof schema.maxLength === 'number' ? schema.maxLength : Infinity;
    const value = CANDIDATES.find(
      c => pattern.test(c) && c.length >= min && c.length <= max,
    );
    if (value !== undefined) return { value, how: 'pattern' };
  }
  return undefined;
}
