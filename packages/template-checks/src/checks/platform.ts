import { ConfigReader } from '@backstage/config';
import { JsonObject, JsonValue } from '@backstage/types';
import { PathSegment, YamlSource } from '../source';
import { Finding } from '../types';
import { SampleValues } from '../values';

/** The form field whose options are the keys of `tenancy.environments`. */
export const ENVIRONMENT_FIELD = 'TenancyEnvironmentPicker';
/** The form field whose options are the quota presets of `tenancy.baseline`. */
export const SIZE_FIELD = 'TenancyNamespaceSizePicker';
/**
 * The form field (an array) whose options are the environments with
 * clusters and an OU for AWS accounts: those a new team is onboarded to.
 */
export const ENVIRONMENTS_FIELD = 'TenancyEnvironmentsPicker';

export type PlatformFieldName =
  | typeof ENVIRONMENT_FIELD
  | typeof SIZE_FIELD
  | typeof ENVIRONMENTS_FIELD;

const PLATFORM_FIELDS: ReadonlySet<unknown> = new Set([
  ENVIRONMENT_FIELD,
  SIZE_FIELD,
  ENVIRONMENTS_FIELD,
]);

/** A parameter property that takes its options from the platform's config. */
export interface PlatformField {
  /** The property's name, dotted for a property of an object parameter. */
  name: string;
  /** Where its value is in the form's values (and in check-values.yaml). */
  valuePath: string[];
  field: PlatformFieldName;
  /** The property's schema in the template. */
  at: PathSegment[];
  schema: Record<string, unknown>;
}

/** The config the check reads, and where it came from (for the notes). */
export interface PlatformConfig {
  /** Undefined when there is none (no sandbox running, nothing given). */
  config?: JsonObject;
  /** e.g. `var/sandbox/app-config.sandbox.yaml`, or why there is no config. */
  from: string;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * Every property of `spec.parameters` (every page; conditional properties of
 * `dependencies`, `allOf` / `anyOf` / `oneOf` and `then` / `else` too, and
 * properties of object parameters) whose `ui:field` is one of the platform's
 * pickers.
 */
export function platformFields(source: YamlSource): PlatformField[] {
  const parameters = (source.value() as any)?.spec?.parameters;
  const fields: PlatformField[] = [];
  const visit = (schema: unknown, at: PathSegment[], prefix: string[]) => {
    if (!isObject(schema)) return;
    if (isObject(schema.properties)) {
      for (const [key, property] of Object.entries(schema.properties)) {
        if (!isObject(property)) continue;
        const propertyAt = [...at, 'properties', key];
        const valuePath = [...prefix, key];
        const field = property['ui:field'];
        if (PLATFORM_FIELDS.has(field)) {
          fields.push({
            name: valuePath.join('.'),
            valuePath,
            field: field as PlatformFieldName,
            at: propertyAt,
            schema: property,
          });
        }
        // An object parameter's own properties.
        visit(property, propertyAt, valuePath);
      }
    }
    for (const key of ['allOf', 'anyOf', 'oneOf']) {
      const list = schema[key];
      if (Array.isArray(list)) {
        list.forEach((s, i) => visit(s, [...at, key, i], prefix));
      }
    }
    // Not `if`: its properties are conditions, not form fields.
    for (const key of ['then', 'else'])
      visit(schema[key], [...at, key], prefix);
    if (isObject(schema.dependencies)) {
      for (const [key, dependency] of Object.entries(schema.dependencies)) {
        visit(dependency, [...at, 'dependencies', key], prefix);
      }
    }
  };
  if (Array.isArray(parameters)) {
    parameters.forEach((page, i) => visit(page, ['spec', 'parameters', i], []));
  } else {
    visit(parameters, ['spec', 'parameters'], []);
  }
  return fields;
}

interface Choices {
  /** The values the field offers; undefined when not configured. */
  known?: string[];
  /** Why they are unknown, or a remark on where they came from. */
  remark?: string;
  /** The config could not be read. */
  error?: string;
}

/**
 * What a field offers: environments for namespaces, environments for AWS
 * accounts (`ui:options: { for: accounts }`: those with an OU), or sizes.
 */
export type ChoiceKind =
  | 'environments'
  | 'accountEnvironments'
  | 'teamEnvironments'
  | 'sizes';

const CHOICE_KINDS: ChoiceKind[] = [
  'environments',
  'accountEnvironments',
  'teamEnvironments',
  'sizes',
];

export function choiceKindOf(field: PlatformField): ChoiceKind {
  if (field.field === SIZE_FIELD) return 'sizes';
  if (field.field === ENVIRONMENTS_FIELD) return 'teamEnvironments';
  const options = field.schema['ui:options'];
  return isObject(options) && options.for === 'accounts'
    ? 'accountEnvironments'
    : 'environments';
}

const KIND: Record<
  ChoiceKind,
  { what: string; configKey: string; plural: string }
> = {
  environments: {
    what: 'an environment',
    configKey: 'tenancy.environments',
    plural: 'environments',
  },
  accountEnvironments: {
    what: 'an environment with an OU for accounts',
    configKey: 'tenancy.aws.organizations.environmentOus',
    plural: 'account environments',
  },
  teamEnvironments: {
    what: 'an environment with clusters and an OU for accounts',
    configKey:
      'tenancy.environments and tenancy.aws.organizations.environmentOus',
    plural: 'team environments',
  },
  sizes: {
    what: 'a quota preset',
    configKey: 'tenancy.baseline.quotaPresets',
    plural: 'sizes',
  },
};

/**
 * The environments (keys of `tenancy.environments`) and namespace sizes
 * (`tenancy.baseline.quotaPresets` over the defaults small, medium and
 * large, as `readBaselineOptions` resolves them — what the pickers offer
 * and what `tenancy:namespace:onboard` accepts).
 */
export function platformChoices(
  platform: PlatformConfig,
): Record<ChoiceKind, Choices> {
  const reader = new ConfigReader(platform.config ?? {});
  // Loaded only when a template uses the pickers: the package's entry point
  // loads the AWS and Kubernetes SDKs (about 3 s).
  const { readEnvironments, readBaselineOptions, readAwsOrganizationsConfig } =
    require('@tenancy/plugin-tenancy-node') as typeof import('@tenancy/plugin-tenancy-node');

  let environments: Choices;
  if (!reader.has('tenancy.environments')) {
    environments = {
      remark: platform.config
        ? `no tenancy.environments in ${platform.from}`
        : platform.from,
    };
  } else {
    try {
      environments = { known: Object.keys(readEnvironments(reader)) };
    } catch (error) {
      environments = { error: (error as Error).message };
    }
  }

  let sizes: Choices;
  try {
    sizes = {
      known: Object.keys(readBaselineOptions(reader).quotaPresets),
      remark: reader.has('tenancy.baseline.quotaPresets')
        ? undefined
        : 'the defaults',
    };
  } catch (error) {
    sizes = { error: (error as Error).message };
  }
  let accountEnvironments: Choices;
  if (!reader.has('tenancy.aws.organizations.environmentOus')) {
    accountEnvironments = {
      remark: platform.config
        ? `no tenancy.aws.organizations.environmentOus in ${platform.from}`
        : platform.from,
    };
  } else {
    try {
      accountEnvironments = {
        known: Object.keys(readAwsOrganizationsConfig(reader).environmentOus),
      };
    } catch (error) {
      accountEnvironments = { error: (error as Error).message };
    }
  }
  // Both: a new team gets a namespace and an account in each.
  let teamEnvironments: Choices;
  if (environments.error || accountEnvironments.error) {
    teamEnvironments = {
      error: (environments.error ?? accountEnvironments.error)!,
    };
  } else if (environments.known && accountEnvironments.known) {
    teamEnvironments = {
      known: environments.known.filter(e =>
        accountEnvironments.known!.includes(e),
      ),
    };
  } else {
    teamEnvironments = {
      remark: environments.known
        ? accountEnvironments.remark
        : environments.remark,
    };
  }
  return { environments, accountEnvironments, teamEnvironments, sizes };
}

export interface PlatformValuesOutcome {
  findings: Finding[];
  note: string;
  /** Nothing could be checked: only environment fields, and no environments configured. */
  skipped: boolean;
}

/**
 * Check `platform-values`: a parameter with `ui:field:
 * TenancyEnvironmentPicker` or `TenancyNamespaceSizePicker` takes its
 * options from the platform's config when the form runs, so it has no
 * `enum` (a hard-coded list goes stale), and its `default` and its sample
 * value (check-values.yaml, --values) are among the configured ones.
 */
export function checkPlatformValues(
  source: YamlSource,
  options: { platform: PlatformConfig; sample?: SampleValues },
): PlatformValuesOutcome {
  const fields = platformFields(source);
  if (!fields.length) {
    return { findings: [], note: 'no platform fields', skipped: false };
  }
  const choices = platformChoices(options.platform);
  const findings: Finding[] = [];
  const describe = (value: unknown) => JSON.stringify(value);
  const notAmong = (choice: ChoiceKind, value: unknown) => {
    const { known } = choices[choice];
    if (!known) return undefined;
    const kind = KIND[choice];
    const knownList = `(known: ${known.join(', ') || 'none'})`;
    if (Array.isArray(value)) {
      // A list of environments: each must be one.
      const bad = value.filter(
        v => typeof v !== 'string' || !known.includes(v),
      );
      if (!bad.length) return undefined;
      return `has ${bad.map(describe).join(', ')}, not ${kind.what} of ${
        kind.configKey
      } ${knownList}`;
    }
    if (typeof value === 'string' && known.includes(value)) return undefined;
    return `is not ${kind.what} of ${kind.configKey} ${knownList}`;
  };
  const at = (
    src: YamlSource,
    segments: PathSegment[],
    message: string,
  ): Finding => {
    const value = src.locateValue(segments);
    return value
      ? { file: src.file, ...value, message }
      : src.finding(segments, message);
  };

  const reportedErrors = new Set<ChoiceKind>();
  const sampled = new Set<string>();
  let checked = 0;
  for (const f of fields) {
    const choice = choiceKindOf(f);
    const kind = KIND[choice];
    const { error, known } = choices[choice];
    if (error && !reportedErrors.has(choice)) {
      reportedErrors.add(choice);
      findings.push(
        source.finding(
          [...f.at, 'ui:field'],
          `cannot read ${kind.configKey} from ${options.platform.from} to check parameter ${f.name}: ${error}`,
        ),
      );
    }
    if (known) checked++;

    const items = isObject(f.schema.items) ? f.schema.items : undefined;
    const enumAt =
      f.schema.enum === undefined && items?.enum !== undefined
        ? [...f.at, 'items', 'enum']
        : [...f.at, 'enum'];
    if (f.schema.enum !== undefined || items?.enum !== undefined) {
      findings.push(
        source.finding(
          enumAt,
          `parameter ${f.name} uses ui:field ${f.field}, which offers the ${
            kind.plural
          } of ${kind.configKey} when the form runs: remove the enum${
            f.schema.enumNames !== undefined ? ' and enumNames' : ''
          } (a hard-coded list goes stale when the platform's config changes)`,
        ),
      );
    }
    if (f.schema.default !== undefined) {
      const problem = notAmong(choice, f.schema.default);
      if (problem) {
        findings.push(
          at(
            source,
            [...f.at, 'default'],
            `default ${describe(f.schema.default)} of parameter ${
              f.name
            } ${problem}`,
          ),
        );
      }
    }

    // The sample value of the dry run, where it was not derived from the
    // default or the enum (reported above already).
    const key = f.valuePath.join('\u0000');
    if (!options.sample || sampled.has(key)) continue;
    sampled.add(key);
    const origin = options.sample.origins.get(f.valuePath[0]);
    let value: JsonValue | undefined = options.sample.values;
    for (const segment of f.valuePath) {
      value = isObject(value) ? (value as JsonObject)[segment] : undefined;
    }
    if (value === undefined || !origin) continue;
    const problem = notAmong(choice, value);
    if (!problem) continue;
    if (origin.kind === 'file') {
      findings.push(
        at(
          origin.source,
          f.valuePath,
          `sample value ${describe(value)} of parameter ${f.name} ${problem}`,
        ),
      );
    } else if (origin.how === 'const' || origin.how === 'examples') {
      const segments =
        origin.how === 'const' ? [...f.at, 'const'] : [...f.at, 'examples', 0];
      findings.push(
        at(
          source,
          segments,
          `${origin.how === 'const' ? 'const' : 'example'} ${describe(
            value,
          )} of parameter ${f.name} (the dry run's sample value) ${problem}`,
        ),
      );
    }
  }

  const parts = [
    `${fields.length} platform field${fields.length === 1 ? '' : 's'} (${[
      ...new Set(fields.map(f => f.name)),
    ].join(', ')})`,
  ];
  for (const choice of CHOICE_KINDS) {
    if (!fields.some(f => choiceKindOf(f) === choice)) continue;
    const { known, remark, error } = choices[choice];
    const kind = KIND[choice];
    if (error) continue;
    if (known) {
      parts.push(
        `${kind.plural}: ${known.join(', ') || 'none'}${
          remark ? ` (${remark})` : ''
        }`,
      );
    } else {
      parts.push(`${kind.plural} not checked: ${remark}`);
    }
  }
  return {
    findings,
    note: parts.join('; '),
    skipped: checked === 0 && findings.length === 0,
  };
}
