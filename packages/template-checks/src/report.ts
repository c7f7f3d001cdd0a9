import path from 'node:path';
import { formatMs } from './run';
import {
  CHECK_TITLES,
  CheckResult,
  Finding,
  RunReport,
  TemplateReport,
} from './types';

export interface Style {
  green(text: string): string;
  red(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

export const plain: Style = {
  green: t => t,
  red: t => t,
  dim: t => t,
  bold: t => t,
};

export const colors: Style = {
  green: t => `\u001b[32m${t}\u001b[39m`,
  red: t => `\u001b[31m${t}\u001b[39m`,
  dim: t => `\u001b[2m${t}\u001b[22m`,
  bold: t => `\u001b[1m${t}\u001b[22m`,
};

const TITLE_WIDTH = Math.max(...Object.values(CHECK_TITLES).map(t => t.length));

/** `file:line:column: message`, the file relative to the working directory, as compilers print it. */
export function formatFinding(
  finding: Finding,
  style: Style = plain,
): string[] {
  const file = path.relative(process.cwd(), finding.file) || finding.file;
  return [
    `${style.bold(`${file}:${finding.line}:${finding.column}`)}: ${
      finding.message
    }`,
    ...(finding.details ?? []).map(d => `    ${style.dim(d)}`),
  ];
}

function formatResult(result: CheckResult, style: Style): string[] {
  const title = CHECK_TITLES[result.check].padEnd(TITLE_WIDTH);
  if (result.status === 'skipped') {
    return [`  ${style.dim(`– ${title}  skipped: ${result.note}`)}`];
  }
  const mark = result.status === 'passed' ? style.green('✔') : style.red('✘');
  const time = formatMs(result.durationMs).padStart(8);
  const note = result.note ? `  ${style.dim(result.note)}` : '';
  return [
    `  ${mark} ${title}  ${time}${note}`,
    ...result.findings.flatMap(f => formatFinding(f, style)),
  ];
}

export function formatTemplate(
  report: TemplateReport,
  style: Style = plain,
): string[] {
  const file = path.relative(process.cwd(), report.file) || report.file;
  const failedChecks = report.results.filter(r => r.status === 'failed');
  const head = failedChecks.length ? style.red('✘') : style.green('✔');
  return [
    `${head} ${style.bold(report.name)} ${style.dim(file)}`,
    ...report.results.flatMap(r => formatResult(r, style)),
  ];
}

export function formatSummary(
  report: RunReport,
  style: Style = plain,
): string[] {
  const results = report.templates.flatMap(t => t.results);
  const count = (s: CheckResult['status']) =>
    results.filter(r => r.status === s).length;
  const failedTemplates = report.templates.filter(t =>
    t.results.some(r => r.status === 'failed'),
  ).length;
  const timing = [
    report.backendStartMs !== undefined
      ? `test backend ${formatMs(report.backendStartMs)}`
      : undefined,
    `total ${formatMs(report.durationMs)}`,
  ]
    .filter(Boolean)
    .join(', ');
  const templates = `${report.templates.length} template${
    report.templates.length === 1 ? '' : 's'
  }`;
  const verdict =
    failedTemplates || report.findings.length
      ? style.red(
          `${failedTemplates} of ${templates} failed${
            report.findings.length
              ? `, ${report.findings.length} location problem${
                  report.findings.length === 1 ? '' : 's'
                }`
              : ''
          }`,
        )
      : style.green(`${templates} passed`);
  return [
    `${verdict} — checks: ${count('passed')} passed, ${count(
      'failed',
    )} failed, ${count('skipped')} skipped (${timing})`,
  ];
}
