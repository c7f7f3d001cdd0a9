/** One problem, where an editor can jump to it (line and column 1-based). */
export interface Finding {
  /** Absolute path of the file the problem is in. */
  file: string;
  line: number;
  column: number;
  message: string;
  /** Extra lines shown under the message (e.g. a failed step's log). */
  details?: string[];
}

/** The checks, in the order they run. */
export const CHECK_IDS = [
  'parse',
  'schema',
  'version',
  'actions',
  'parameters',
  'platform-values',
  'skeleton',
  'dry-run',
] as const;

export type CheckId = (typeof CHECK_IDS)[number];

export const CHECK_TITLES: Record<CheckId, string> = {
  parse: 'parses',
  schema: 'matches the Template schema',
  version: 'has its version in the changelog',
  actions: 'uses only registered actions',
  parameters: 'references only existing parameters',
  'platform-values': "values fit the platform's config",
  skeleton: 'skeleton renders',
  'dry-run': 'dry run succeeds',
};

export type CheckStatus = 'passed' | 'failed' | 'skipped';

export interface CheckResult {
  check: CheckId;
  status: CheckStatus;
  findings: Finding[];
  /** Wall time of the check, in milliseconds. */
  durationMs: number;
  /** Why it was skipped, or a short note on what was checked. */
  note?: string;
}

export interface TemplateReport {
  /** Absolute path of the template's YAML file. */
  file: string;
  /** metadata.name when the file parsed far enough, else the folder name. */
  name: string;
  results: CheckResult[];
}

export interface RunReport {
  templates: TemplateReport[];
  /** Problems not tied to one template (e.g. a Location target that is missing). */
  findings: Finding[];
  /** Notes printed before the results (sandbox in use, unlisted templates…). */
  notes: string[];
  /** Time to start the test backend, when one was started. */
  backendStartMs?: number;
  durationMs: number;
}

export function failed(report: RunReport): boolean {
  return (
    report.findings.length > 0 ||
    report.templates.some(t => t.results.some(r => r.status === 'failed'))
  );
}
