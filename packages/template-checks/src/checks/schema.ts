import {
  DefaultNamespaceEntityPolicy,
  Entity,
  EntityPolicies,
  FieldFormatEntityPolicy,
  NoForeignRootFieldsEntityPolicy,
  SchemaValidEntityPolicy,
} from '@backstage/catalog-model';
import { templateEntityV1beta3Validator } from '@backstage/plugin-scaffolder-common';
import { PathSegment, YamlSource } from '../source';
import { Finding } from '../types';

// The policies the catalog applies to every entity it ingests, in the
// catalog's order (CatalogBuilder's defaults).
const catalogPolicy = EntityPolicies.allOf([
  new SchemaValidEntityPolicy(),
  new DefaultNamespaceEntityPolicy(),
  new NoForeignRootFieldsEntityPolicy(),
  new FieldFormatEntityPolicy(),
]);

/**
 * Check 2: the template is what the catalog and the scaffolder accept — the
 * catalog's entity policies, then Backstage's own `scaffolder.backstage.io/v1beta3`
 * Template schema (`templateEntityV1beta3Validator` from
 * `@backstage/plugin-scaffolder-common`, which the catalog's scaffolder
 * entity model and the scaffolder's dry-run endpoint use). Both stop at their
 * first error; its JSON path is mapped back to the YAML line.
 */
export async function checkSchema(source: YamlSource): Promise<Finding[]> {
  const entity = source.value();
  try {
    await catalogPolicy.enforce(structuredClone(entity) as Entity);
  } catch (error) {
    return [findingFor(source, String((error as Error).message))];
  }
  try {
    if (!(await templateEntityV1beta3Validator.check(entity as Entity))) {
      const { apiVersion, kind } = entity as Entity;
      const where = kind === 'Template' ? ['apiVersion'] : ['kind'];
      return [
        source.finding(
          where,
          `not a scaffolder.backstage.io/v1beta3 Template (apiVersion: ${apiVersion}, kind: ${kind})`,
        ),
      ];
    }
  } catch (error) {
    return [findingFor(source, String((error as Error).message))];
  }
  return [];
}

/** Maps a catalog-model validation message to the node it is about. */
export function findingFor(source: YamlSource, rawMessage: string): Finding {
  const message = rawMessage
    .replace(/^Malformed envelope, /, '')
    .replace(/ To learn more about catalog file format.*$/, '');
  return source.finding(pathOf(message), `schema: ${message}`);
}

function pathOf(message: string): PathSegment[] {
  // ajv: "/spec/steps must be array - type: array"
  const ajv = /^(\/\S*|<root>) /.exec(message);
  if (ajv) {
    const segments: PathSegment[] =
      ajv[1] === '<root>'
        ? []
        : ajv[1]
            .slice(1)
            .split('/')
            .map(s => s.replace(/~1/g, '/').replace(/~0/g, '~'))
            .map(s => (/^\d+$/.test(s) ? Number(s) : s));
    const extra = /additionalProperty: ([^,]+)/.exec(message);
    return extra ? [...segments, extra[1]] : segments;
  }
  // NoForeignRootFieldsEntityPolicy: "Unknown field foo"
  const foreign = /^Unknown field (\S+)/.exec(message);
  if (foreign) return [foreign[1]];
  // FieldFormatEntityPolicy: '"metadata.name" is not valid; …' or
  // 'metadata.name must have a value'
  const field = /^"([^"]+)" is not valid|^(\S+) must have a value/.exec(
    message,
  );
  if (field) return fieldPath(field[1] ?? field[2]);
  return [];
}

function fieldPath(field: string): PathSegment[] {
  const [head, ...rest] = field.split('.');
  const tail = rest.join('.');
  switch (head) {
    case 'labels':
    case 'annotations':
      return ['metadata', head, tail];
    case 'tags':
      return ['metadata', 'tags', Number(tail)];
    default:
      return field.split('.');
  }
}
