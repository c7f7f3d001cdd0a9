import { isMap, isScalar, isSeq, Node } from 'yaml';
import { YamlSource } from '../source';
import { Finding } from '../types';
import { closest } from './suggest';

/**
 * Check 4: every `parameters.x` (or `parameters['x']`, and `x` of
 * `parameters.x.y`) in a `${{ … }}` expression or `{% … %}` tag of the
 * steps (input, `if`, `each`, name) and the output is a property of some
 * page of `spec.parameters`. Reported at the reference itself.
 */
export function checkParameters(source: YamlSource): Finding[] {
  const value = source.value() as { spec?: { parameters?: unknown } };
  const defined = parameterNames(value?.spec?.parameters);
  const findings: Finding[] = [];
  for (const part of ['steps', 'output']) {
    const node = source.node(['spec', part]);
    if (!node) continue;
    for (const ref of parameterReferences(source, node)) {
      if (defined.has(ref.name)) continue;
      const suggestion = closest(ref.name, [...defined]);
      findings.push(
        source.findingAt(
          ref.offset,
          `parameters.${ref.name} is not a parameter of this template${
            suggestion ? ` — did you mean parameters.${suggestion}?` : ''
          } (spec.parameters defines: ${
            [...defined].sort().join(', ') || 'nothing'
          })`,
        ),
      );
    }
  }
  return findings;
}

/** The top-level property names of every page of `spec.parameters`. */
export function parameterNames(parameters: unknown): Set<string> {
  const names = new Set<string>();
  const visit = (schema: unknown) => {
    if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return;
    const s = schema as Record<string, unknown>;
    if (s.properties && typeof s.properties === 'object') {
      for (const key of Object.keys(s.properties)) names.add(key);
    }
    for (const key of ['allOf', 'anyOf', 'oneOf']) {
      if (Array.isArray(s[key])) (s[key] as unknown[]).forEach(visit);
    }
    for (const key of ['if', 'then', 'else']) visit(s[key]);
    // Schema dependencies (`dependencies: { x: { oneOf: [...] } }`) add
    // properties conditionally; property dependencies are arrays.
    if (s.dependencies && typeof s.dependencies === 'object') {
      Object.values(s.dependencies).forEach(visit);
    }
  };
  parameterPages(parameters).forEach(visit);
  return names;
}

/** `spec.parameters`: one schema, or a list of pages. */
export function parameterPages(parameters: unknown): unknown[] {
  if (Array.isArray(parameters)) return parameters;
  return parameters ? [parameters] : [];
}

interface Reference {
  name: string;
  /** Offset of `parameters` in the file. */
  offset: number;
}

const EXPRESSION = /\$\{\{([\s\S]*?)\}\}|\{%([\s\S]*?)%\}/g;
const REFERENCE =
  /(?<![\w$.\]'")])parameters\s*(?:\.\s*([A-Za-z_$][\w$]*)|\[\s*(['"])(.*?)\2\s*\])/g;

/** Every `parameters.<name>` in template expressions under `node`. */
export function parameterReferences(
  source: YamlSource,
  node: Node,
): Reference[] {
  const refs: Reference[] = [];
  const scalar = (n: unknown) => {
    if (!isScalar(n) || !n.range || typeof n.value !== 'string') return;
    // The raw text as written, so that offsets are the file's.
    const raw = source.text.slice(n.range[0], n.range[1]);
    for (const expr of raw.matchAll(EXPRESSION)) {
      const body = expr[1] ?? expr[2];
      const bodyOffset = n.range[0] + expr.index! + (expr[1] ? 3 : 2);
      for (const ref of body.matchAll(REFERENCE)) {
        refs.push({
          name: ref[1] ?? ref[3],
          offset: bodyOffset + ref.index!,
        });
      }
    }
  };
  const walk = (n: unknown) => {
    if (isMap(n)) {
      for (const pair of n.items) {
        scalar(pair.key);
        walk(pair.value);
      }
    } else if (isSeq(n)) {
      n.items.forEach(walk);
    } else {
      scalar(n);
    }
  };
  walk(node);
  return refs;
}
