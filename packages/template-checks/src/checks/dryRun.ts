import { JsonObject } from '@backstage/types';
import globby from 'globby';
import fs from 'node:fs';
import path from 'node:path';
import { CheckTarget, DryRunRequest, LogLine } from '../target';
import { PathSegment, YamlSource } from '../source';
import { Finding } from '../types';
import { SampleValues } from '../values';
import { skeletonSteps } from './skeleton';

export interface DryRunOutcome {
  ok: boolean;
  /** Failures of steps that render a skeleton from the template's folder (check 5). */
  skeletonFindings: Finding[];
  /** Every other failure (check 6). */
  findings: Finding[];
  /** Rendered files in the workspace at the end of a successful run. */
  files: string[];
  /** Steps the scaffolder skipped because their action does not support dry run. */
  skipped: string[];
  /** Steps that ran. */
  ran: number;
}

/** The files of a template's folder, as the dry-run API takes them. */
export async function templateDirectoryContents(
  templateFile: string,
): Promise<DryRunRequest['directoryContents']> {
  const dir = path.dirname(templateFile);
  const files = await globby('**/*', {
    cwd: dir,
    dot: true,
    onlyFiles: true,
    followSymbolicLinks: false,
    ignore: ['**/node_modules/**', '**/.git/**'],
  });
  return files.sort().map(file => ({
    path: file,
    base64Content: fs.readFileSync(path.join(dir, file)).toString('base64'),
  }));
}

interface StepFailure {
  index: number;
  message: string;
  /** The step's own log lines, from the backend's log. */
  log: string[];
}

/**
 * Check 6 (and the rendering half of check 5): a dry run through the
 * scaffolder's own dry-run API (`POST /api/scaffolder/v2/dry-run`) with the
 * template, the sample values and the template's folder. The API answers a
 * failed run with the error alone, so the failing step is found by running
 * growing prefixes of the steps again; its log lines come from the backend's
 * log.
 */
export async function dryRunTemplate(options: {
  source: YamlSource;
  backend: CheckTarget;
  sample: SampleValues;
  timeoutMs: number;
}): Promise<DryRunOutcome> {
  const { source, backend, sample, timeoutMs } = options;
  const template = source.value() as JsonObject & {
    spec: { steps: JsonObject[]; output?: JsonObject };
  };
  const directoryContents = await templateDirectoryContents(source.file);
  const outcome: DryRunOutcome = {
    ok: false,
    skeletonFindings: [],
    findings: [],
    files: [],
    skipped: [],
    ran: 0,
  };

  const run = async (steps: JsonObject[], output?: JsonObject) => {
    const mark = backend.logs.length;
    try {
      const response = await backend.dryRun(
        {
          template: { ...template, spec: { ...template.spec, steps, output } },
          values: sample.values,
          secrets: {},
          directoryContents,
        },
        { timeoutMs },
      );
      return { ...response, logs: backend.logs.slice(mark) };
    } catch (error) {
      const e = error as Error;
      const message =
        e.name === 'TimeoutError'
          ? `the dry run did not finish within ${Math.round(
              timeoutMs / 1000,
            )} s`
          : `the dry-run request failed: ${e.message}`;
      return {
        status: 0,
        body: { error: { message } },
        logs: backend.logs.slice(mark),
      };
    }
  };

  const steps = template.spec.steps;
  const full = await run(steps, template.spec.output);
  if (full.status === 200) {
    outcome.ok = true;
    const log: Array<{ body: JsonObject }> = full.body.log ?? [];
    outcome.skipped = log
      .filter(l => /does not support dry-run/.test(String(l.body.message)))
      .map(l => String(l.body.stepId));
    outcome.ran = log.filter(l => l.body.status === 'completed').length;
    outcome.files = (full.body.directoryContents ?? []).map(
      (f: { path: string }) => f.path,
    );
    return outcome;
  }

  // The parameters' schemas refused the sample values.
  if (full.status === 400 && Array.isArray(full.body?.errors)) {
    outcome.findings = full.body.errors.map((e: any) =>
      valueFinding(source, sample, e),
    );
    return outcome;
  }

  const errorMessage = (body: any) =>
    String(body?.error?.message ?? JSON.stringify(body)).trim();
  if (full.status === 0) {
    outcome.findings = [source.finding([], errorMessage(full.body))];
    return outcome;
  }

  // Find the step: the shortest prefix of the steps that fails.
  let failure: StepFailure | undefined;
  let previousRunning = 0;
  for (let k = 1; k <= steps.length && !failure; k++) {
    const prefix = await run(steps.slice(0, k), {});
    const stepLines = prefix.logs
      .filter(l => l.meta.plugin === 'scaffolder' && !l.meta.isAuditEvent)
      .map(l => l.message)
      // The step loggers' lines ("info: …"), not the plugin's own.
      .filter(m => /^(info|warn|error): /.test(m));
    const running = stepLines.filter(isRunningLine).length;
    if (prefix.status !== 200) {
      const last = stepLines.map(isRunningLine).lastIndexOf(true);
      failure = {
        index: k - 1,
        message: errorMessage(prefix.body),
        log:
          running > previousRunning && last >= 0 ? stepLines.slice(last) : [],
      };
    }
    previousRunning = running;
  }

  if (!failure) {
    // Every step passes on its own: rendering the output failed.
    outcome.findings = [
      source.finding(
        ['spec', 'output'],
        `the output did not render: ${errorMessage(full.body)}`,
      ),
    ];
    return outcome;
  }

  const skeleton = skeletonSteps(source).find(s => s.index === failure!.index);
  if (skeleton) {
    outcome.skeletonFindings = [skeletonFinding(source, skeleton, failure)];
  } else {
    outcome.findings = [stepFinding(source, steps, failure)];
  }
  return outcome;
}

/** The line each step starts with in a dry run (not the dry run's own extract step). */
function isRunningLine(message: string): boolean {
  return (
    /^\w+: Running \S+ in dry-run mode/.test(message) &&
    !message.includes('Running dry-run:extract ')
  );
}

/** At most this many log lines under a failure. */
const LOG_LINES = 30;

function logDetails(lines: string[]): string[] {
  const flat = lines.flatMap(l => l.split('\n'));
  const shown = flat.slice(0, LOG_LINES).map(l => `log: ${l}`);
  if (flat.length > LOG_LINES) {
    shown.push(`log: … ${flat.length - LOG_LINES} more lines`);
  }
  return shown;
}

function stepName(step: JsonObject | undefined, index: number): string {
  return `${step?.id ?? `step-${index + 1}`} (${step?.action})`;
}

function stepFinding(
  source: YamlSource,
  steps: JsonObject[],
  failure: StepFailure,
): Finding {
  const base: PathSegment[] = ['spec', 'steps', failure.index];
  let at: PathSegment[] = base;
  // "Invalid input passed to action debug:log, instance.listWorkspace is not …"
  const input =
    /^Invalid input passed to action [^,]+, instance((?:\.[\w$-]+|\[\d+\])*)/.exec(
      failure.message,
    );
  if (input) {
    const inner = [...input[1].matchAll(/\.([\w$-]+)|\[(\d+)\]/g)].map(m =>
      m[1] !== undefined ? m[1] : Number(m[2]),
    );
    const candidate = [...base, 'input', ...inner];
    at = source.node(candidate) ? candidate : [...base, 'input'];
  }
  return source.finding(
    at,
    `step ${stepName(
      steps[failure.index],
      failure.index,
    )} failed in the dry run: ${failure.message}`,
    logDetails(failure.log),
  );
}

function skeletonFinding(
  source: YamlSource,
  step: ReturnType<typeof skeletonSteps>[number],
  failure: StepFailure,
): Finding {
  const message = `step ${step.id ?? step.index + 1} (${
    step.action
  }) did not render the skeleton with the sample values: ${failure.message}`;
  // fetch:template logs "Writing file <path> to template output path" just
  // before it renders that file; errors carry the line within the file.
  const writing = failure.log
    .map(l => /Writing file (.+) to template output path/.exec(l)?.[1])
    .filter((f): f is string => Boolean(f))
    .pop();
  const where = /at line (\d+), column (\d+)/.exec(failure.message);
  if (writing && where) {
    const file = step.single ? step.target : path.join(step.target, writing);
    return {
      file,
      line: Number(where[1]),
      column: Number(where[2]),
      message: message.replace(/Template error at line \d+, column \d+: /, ''),
      details: logDetails(failure.log),
    };
  }
  return source.finding(
    ['spec', 'steps', step.index, 'input', 'url'],
    message,
    logDetails(failure.log),
  );
}

/** A jsonschema error for the sample values, at the value or the parameter. */
function valueFinding(
  source: YamlSource,
  sample: SampleValues,
  error: {
    property?: string;
    argument?: unknown;
    stack?: string;
    message?: string;
  },
): Finding {
  const property = String(error.property ?? 'instance');
  const key =
    property === 'instance'
      ? String(error.argument ?? '')
      : property.replace(/^instance\.?/, '').split(/[.[]/)[0];
  const text = (error.stack ?? error.message ?? '').replace(/^instance\.?/, '');
  const origin = sample.origins.get(key);
  const message = `the sample values do not match the parameters: ${
    text || JSON.stringify(error)
  }`;
  if (origin?.kind === 'file') {
    return origin.source.finding([key], message);
  }
  const parameters = (source.value() as any)?.spec?.parameters;
  const pages: any[] = Array.isArray(parameters) ? parameters : [parameters];
  const page = pages.findIndex(p => p?.properties && key in p.properties);
  if (page < 0) return source.finding(['spec', 'parameters'], message);
  const at = Array.isArray(parameters)
    ? ['spec', 'parameters', page, 'properties', key]
    : ['spec', 'parameters', 'properties', key];
  const how =
    origin?.kind === 'parameter' ? ` (sample from its ${origin.how})` : '';
  return source.finding(at, `${message}${how}`);
}

export type { LogLine };
