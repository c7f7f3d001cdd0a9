import { JsonObject } from '@backstage/types';
import globby from 'globby';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { CheckTarget } from './target';
import { PortalOptions, PortalTarget } from './portal';
import { checkActions, stepActions } from './checks/actions';
import { dryRunTemplate } from './checks/dryRun';
import { checkParameters, parameterReferences } from './checks/parameters';
import { checkParses } from './checks/parse';
import {
  checkPlatformValues,
  PlatformConfig,
  platformFields,
} from './checks/platform';
import { checkSchema } from './checks/schema';
import { checkSkeleton, skeletonSteps } from './checks/skeleton';
import { discoverTemplates } from './discover';
import { YamlSource } from './source';
import {
  CHECK_IDS,
  CheckId,
  CheckResult,
  Finding,
  RunReport,
  TemplateReport,
} from './types';
import { sampleValues } from './values';
import { hasLookups, resolveLookups } from './lookups';
import { checkVersion } from './checks/version';

/** The repository root (the package runs from source, never bundled). */
// eslint-disable-next-line no-restricted-syntax
export const repoRoot = path.resolve(__dirname, '../../..');

/** The one catalog location through which the platform team publishes templates. */
export const defaultLocations = path.join(
  repoRoot,
  'templates',
  'locations.yaml',
);

export interface RunOptions {
  /** Template files, template folders or Location files; default: templates/locations.yaml. */
  paths?: string[];
  /** Start the test backend for the action and dry-run checks (default true). */
  dryRun?: boolean;
  /** A YAML file of sample values, over each template's check-values.yaml. */
  valuesFile?: string;
  /**
   * Config for the test backend over the defaults. Default: the running
   * sandbox's `kubernetes`, `tenancy` and `integrations` (see sandboxConfig).
   */
  backendConfig?: JsonObject;
  /**
   * Config the platform-values check reads `tenancy.environments` and
   * `tenancy.baseline.quotaPresets` from. Default: backendConfig, else the
   * running sandbox's overlay (with or without the dry run).
   */
  platformConfig?: JsonObject;
  /**
   * Check against a running portal instead of a test backend: its
   * registered actions, its own dry run, and its platform config (for a
   * template repository's CI).
   */
  portal?: PortalOptions;
  /** Print the test backend's log on stderr. */
  echoBackendLogs?: boolean;
  /** Per dry run (default 120 s). */
  timeoutMs?: number;
  /** Called with each template's report as soon as it is done. */
  onTemplate?: (report: TemplateReport) => void;
  /** Called with notes (backend started, sandbox used…) as they happen. */
  onNote?: (note: string) => void;
}

/**
 * The parts of the running sandbox's portal overlay the scaffolder's actions
 * need: its clusters (`kubernetes`), `tenancy` (environments → clusters,
 * platform teams, account vending), `aws` (Backstage's AWS integration: the
 * credentials moto takes) and `integrations` (Gitea). Undefined when no sandbox
 * is running (TENANCY_SANDBOX_DIR, else var/sandbox).
 */
export async function sandboxConfig(): Promise<
  { config: JsonObject; from: string } | undefined
> {
  let overlayFile: string;
  try {
    // Only the sandbox's paths, as readState of @tenancy/sandbox reads its
    // state.json: its entry point pulls in the AWS and Kubernetes SDKs
    // (about 3 s), too slow for --no-dry-run.
    const { stateDir } =
      require('@tenancy/sandbox/src/paths') as typeof import('@tenancy/sandbox/src/paths');
    const state = JSON.parse(
      fs.readFileSync(path.join(stateDir(), 'state.json'), 'utf8'),
    ) as { overlay?: unknown };
    if (typeof state.overlay !== 'string') return undefined;
    overlayFile = state.overlay;
  } catch {
    return undefined;
  }
  if (!fs.existsSync(overlayFile)) return undefined;
  const overlay = YAML.parse(fs.readFileSync(overlayFile, 'utf8')) ?? {};
  const config: JsonObject = {};
  for (const key of ['kubernetes', 'tenancy', 'aws', 'integrations']) {
    if (overlay[key] !== undefined) config[key] = overlay[key];
  }
  return { config, from: overlayFile };
}

export async function runChecks(options: RunOptions = {}): Promise<RunReport> {
  const started = Date.now();
  const report: RunReport = {
    templates: [],
    findings: [],
    notes: [],
    durationMs: 0,
  };
  const note = (text: string) => {
    report.notes.push(text);
    options.onNote?.(text);
  };

  const paths = options.paths?.length ? options.paths : [defaultLocations];
  const discovery = discoverTemplates(paths);
  report.findings.push(...discovery.findings);
  discovery.notes.forEach(note);
  if (!options.paths?.length) {
    const listed = new Set(discovery.templates);
    for (const file of globby.sync('*/template.yaml', {
      cwd: path.join(repoRoot, 'templates'),
      absolute: true,
    })) {
      if (!listed.has(path.resolve(file))) {
        note(
          `${rel(file)} is not listed in ${rel(
            defaultLocations,
          )}: not checked (and not published)`,
        );
      }
    }
  }

  const dryRun = options.dryRun !== false;
  // The running sandbox's overlay, read once: for the test backend, or —
  // without the dry run — only when a template uses the platform's fields.
  let sandbox: ReturnType<typeof sandboxConfig> | undefined;
  const sandboxOnce = () => {
    sandbox ??= sandboxConfig().then(found => {
      if (found) {
        note(
          dryRun
            ? `sandbox: clusters and environments from ${rel(found.from)}`
            : `sandbox: environments and quota presets from ${rel(found.from)}`,
        );
      } else {
        note(
          dryRun
            ? 'sandbox: none running — dry runs of actions that call the clusters will fail (start one with `yarn sandbox up`)'
            : 'sandbox: none running — environments are not checked (start one with `yarn sandbox up`)',
        );
      }
      return found;
    });
    return sandbox;
  };
  const portal = options.portal ? new PortalTarget(options.portal) : undefined;
  let platform: Promise<PlatformConfig> | undefined;
  const platformConfig = () => {
    platform ??= (async (): Promise<PlatformConfig> => {
      if (options.platformConfig) {
        return { config: options.platformConfig, from: 'the given config' };
      }
      if (portal) {
        return {
          config: await portal.platformConfig(),
          from: `the portal ${options.portal!.url}`,
        };
      }
      if (options.backendConfig) {
        return {
          config: options.backendConfig,
          from: "the test backend's config",
        };
      }
      const found = await sandboxOnce();
      return found
        ? { config: found.config, from: rel(found.from) }
        : { from: 'no sandbox running' };
    })();
    return platform;
  };

  let backend: CheckTarget | undefined;
  let actions: Set<string> | undefined;
  let backendConfig: JsonObject | undefined;
  try {
    if (dryRun && discovery.templates.length && portal) {
      backend = portal;
      actions = new Set((await portal.actions()).map(a => a.id));
      note(
        `portal: ${options.portal!.url} — its ${
          actions.size
        } registered actions and its own dry run`,
      );
    } else if (dryRun && discovery.templates.length) {
      const config = options.backendConfig ?? (await sandboxOnce())?.config;
      backendConfig = config;
      const t = Date.now();
      // Loaded only when needed: it loads the portal's backend features.
      const { CheckBackend } =
        require('./backend') as typeof import('./backend');
      backend = await CheckBackend.start({
        config,
        echoLogs: options.echoBackendLogs,
      });
      actions = new Set((await backend.actions()).map(a => a.id));
      report.backendStartMs = Date.now() - t;
      note(
        `test backend (scaffolder, catalog, permission) started in ${formatMs(
          report.backendStartMs,
        )}; ${actions.size} actions registered`,
      );
    }
    for (const file of discovery.templates) {
      const templateReport = await checkTemplate(file, {
        backend,
        backendConfig,
        actions,
        valuesFile: options.valuesFile,
        platformConfig,
        timeoutMs: options.timeoutMs ?? 120_000,
      });
      report.templates.push(templateReport);
      options.onTemplate?.(templateReport);
    }
  } finally {
    await backend?.stop();
  }
  report.durationMs = Date.now() - started;
  return report;
}

interface TemplateCheckContext {
  backend?: CheckTarget;
  /** The test backend's config: where sample-value lookups look. */
  backendConfig?: JsonObject;
  actions?: Set<string>;
  valuesFile?: string;
  /** The config of the platform-values check; none when not given. */
  platformConfig?: () => Promise<PlatformConfig>;
  timeoutMs: number;
}

/** Runs the checks on one template file. */
export async function checkTemplate(
  file: string,
  context: TemplateCheckContext,
): Promise<TemplateReport> {
  const results = new Map<CheckId, CheckResult>();
  const report: TemplateReport = {
    file,
    name: path.basename(path.dirname(file)),
    results: [],
  };
  const record = async (
    check: CheckId,
    fn: () => Promise<{ findings: Finding[]; note?: string }>,
  ) => {
    const t = Date.now();
    let outcome: { findings: Finding[]; note?: string };
    try {
      outcome = await fn();
    } catch (error) {
      outcome = {
        findings: [
          {
            file,
            line: 1,
            column: 1,
            message: `the check itself failed: ${
              (error as Error).stack ?? error
            }`,
          },
        ],
      };
    }
    results.set(check, {
      check,
      status: outcome.findings.length ? 'failed' : 'passed',
      findings: outcome.findings,
      durationMs: Date.now() - t,
      note: outcome.note,
    });
  };
  const skip = (check: CheckId, why: string) =>
    results.set(check, {
      check,
      status: 'skipped',
      findings: [],
      durationMs: 0,
      note: why,
    });
  const hasFailed = (...checks: CheckId[]) =>
    checks.some(c => results.get(c)?.status === 'failed');

  let source: YamlSource | undefined;
  await record('parse', async () => {
    source = YamlSource.read(file);
    return { findings: checkParses(source) };
  });
  if (!source || hasFailed('parse')) {
    for (const check of CHECK_IDS.slice(1))
      skip(check, 'the file did not parse');
    report.results = CHECK_IDS.map(c => results.get(c)!);
    return report;
  }
  const src = source;
  const name = (src.value() as any)?.metadata?.name;
  if (typeof name === 'string') report.name = name;

  await record('schema', async () => ({ findings: await checkSchema(src) }));
  await record('version', async () => checkVersion(src));

  if (context.actions) {
    const registered = context.actions;
    await record('actions', async () => {
      const used = new Set(stepActions(src).map(s => s.action));
      return {
        findings: checkActions(src, registered),
        note: `${used.size} action${used.size === 1 ? '' : 's'}`,
      };
    });
  } else {
    skip('actions', '--no-dry-run: needs the test backend');
  }

  await record('parameters', async () => {
    const node = ['steps', 'output'].map(p => src.node(['spec', p]));
    const refs = node.flatMap(n => (n ? parameterReferences(src, n) : []));
    return {
      findings: checkParameters(src),
      note: `${refs.length} reference${refs.length === 1 ? '' : 's'}`,
    };
  });

  let platformSkipped = false;
  await record('platform-values', async () => {
    if (!platformFields(src).length) {
      return { findings: [], note: 'no platform fields' };
    }
    const outcome = checkPlatformValues(src, {
      platform: (await context.platformConfig?.()) ?? {
        from: 'no config given',
      },
      sample: sampleValues(src, context.valuesFile),
    });
    platformSkipped = outcome.skipped;
    return outcome;
  });
  if (platformSkipped) results.get('platform-values')!.status = 'skipped';

  await record('skeleton', async () => {
    const steps = skeletonSteps(src);
    const { findings, files } = await checkSkeleton(src);
    return {
      findings,
      note: steps.length
        ? `${files} file${files === 1 ? '' : 's'} in ${steps
            .map(s => s.url)
            .join(', ')}`
        : 'no skeleton',
    };
  });

  const earlier: CheckId[] = [
    'schema',
    'actions',
    'parameters',
    'platform-values',
    'skeleton',
  ];
  if (!context.backend) {
    skip('dry-run', '--no-dry-run');
  } else if (hasFailed(...earlier)) {
    skip('dry-run', 'fix the findings above first');
  } else {
    const backend = context.backend;
    let skeletonFindings: Finding[] = [];
    await record('dry-run', async () => {
      const sample = sampleValues(src, context.valuesFile);
      if (sample.findings.length) return { findings: sample.findings };
      if (hasLookups(sample)) {
        const lookups = await resolveLookups(sample, context.backendConfig);
        if (lookups.length) return { findings: lookups };
      }
      const outcome = await dryRunTemplate({
        source: src,
        backend,
        sample,
        timeoutMs: context.timeoutMs,
      });
      skeletonFindings = outcome.skeletonFindings;
      const parts = [`${outcome.ran} step${outcome.ran === 1 ? '' : 's'} ran`];
      if (outcome.skipped.length) {
        parts.push(
          `skipped (no dry-run support): ${outcome.skipped.join(', ')}`,
        );
      }
      if (outcome.ok && skeletonSteps(src).length) {
        parts.push(`${outcome.files.length} files rendered`);
      }
      return {
        findings: outcome.findings,
        note: outcome.ok ? parts.join('; ') : undefined,
      };
    });
    if (skeletonFindings.length) {
      const skeleton = results.get('skeleton')!;
      skeleton.status = 'failed';
      skeleton.findings.push(...skeletonFindings);
      skeleton.note = 'with the sample values, in the dry run';
      skip('dry-run', 'the skeleton did not render');
    }
  }

  report.results = CHECK_IDS.map(c => results.get(c)!);
  return report;
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function rel(file: string): string {
  return path.relative(process.cwd(), file) || file;
}
