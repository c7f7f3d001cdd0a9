import globby from 'globby';
import { isBinaryFile } from 'isbinaryfile';
import fs from 'node:fs';
import path from 'node:path';
import { createTemplateRenderer, TemplateRenderError } from 'nunjitsu';
import { YamlSource } from '../source';
import { Finding } from '../types';

/** Actions that read a skeleton from the template's own folder. */
const FETCH_ACTIONS: Record<string, { render: boolean; single: boolean }> = {
  'fetch:template': { render: true, single: false },
  'fetch:template:file': { render: true, single: true },
  'fetch:plain': { render: false, single: false },
  'fetch:plain:file': { render: false, single: true },
};

export interface SkeletonStep {
  index: number;
  id?: string;
  action: string;
  url: string;
  /** Absolute path of the folder (or file) `url` points at. */
  target: string;
  render: boolean;
  single: boolean;
  input: Record<string, unknown>;
}

/** The steps that fetch a skeleton by a relative `url` (not a remote URL). */
export function skeletonSteps(source: YamlSource): SkeletonStep[] {
  const steps = (source.value() as any)?.spec?.steps;
  if (!Array.isArray(steps)) return [];
  return steps.flatMap((step, index): SkeletonStep[] => {
    const kind = step && FETCH_ACTIONS[step.action];
    const url = step?.input?.url;
    if (!kind || typeof url !== 'string') return [];
    if (/^[a-z][a-z0-9+.-]*:/i.test(url) || url.includes('${{')) return [];
    return [
      {
        index,
        id: step.id,
        action: step.action,
        url,
        target: path.resolve(path.dirname(source.file), url),
        ...kind,
        input: step.input,
      },
    ];
  });
}

/**
 * Check 5 (static part): every skeleton a `fetch:*` step points at exists,
 * and every file `fetch:template` would render — names and contents — is a
 * valid template for the scaffolder's engine (nunjitsu, `${{ }}`, with the
 * step's `cookiecutterCompat` / `trimBlocks` / `lstripBlocks`, honouring
 * `copyWithoutTemplating` and `templateFileExtension` as the action does).
 * Syntax errors are reported at the file, line and column. Whether the
 * skeleton renders with the sample values is seen in the dry run.
 */
export async function checkSkeleton(
  source: YamlSource,
): Promise<{ findings: Finding[]; files: number }> {
  const findings: Finding[] = [];
  let files = 0;
  for (const step of skeletonSteps(source)) {
    const urlAt =
      source.locateValue(['spec', 'steps', step.index, 'input', 'url']) ??
      source.locate(['spec', 'steps', step.index, 'input', 'url']);
    const stat = fs.statSync(step.target, { throwIfNoEntry: false });
    let problem: string | undefined;
    if (!stat) problem = 'does not exist';
    else if (step.single && stat.isDirectory()) problem = 'is a folder';
    else if (!step.single && !stat.isDirectory()) problem = 'is not a folder';
    if (problem) {
      findings.push({
        file: source.file,
        ...urlAt,
        message: `${step.action} url ${step.url}: ${problem} (${
          path.relative(process.cwd(), step.target) || '.'
        })`,
      });
      continue;
    }
    if (!step.render) continue;

    const input = step.input;
    const renderer = createTemplateRenderer({
      allowRegexExecution: true,
      cookiecutterCompat: Boolean(input.cookiecutterCompat),
      trimBlocks: Boolean(input.trimBlocks),
      lstripBlocks: Boolean(input.lstripBlocks),
    });
    const context = {
      [input.cookiecutterCompat ? 'cookiecutter' : 'values']: {},
    };
    const parseError = (text: string): TemplateRenderError | undefined => {
      try {
        renderer.render(text, context);
        return undefined;
      } catch (error) {
        // Evaluation errors depend on the values (and on the scaffolder's
        // filters): the dry run sees those.
        return error instanceof TemplateRenderError && error.phase === 'parse'
          ? error
          : undefined;
      }
    };

    const root = step.single ? path.dirname(step.target) : step.target;
    let entries: string[];
    let copyOnly = new Set<string>();
    let extension: string | undefined;
    if (step.single) {
      entries = [path.basename(step.target)];
    } else {
      entries = await globby('**/*', {
        cwd: root,
        dot: true,
        onlyFiles: true,
        followSymbolicLinks: false,
      });
      const patterns = input.copyWithoutTemplating;
      if (Array.isArray(patterns)) {
        copyOnly = new Set(
          await globby(patterns as string[], {
            cwd: root,
            dot: true,
            onlyFiles: true,
            followSymbolicLinks: false,
          }),
        );
      }
      if (input.templateFileExtension) {
        extension =
          input.templateFileExtension === true
            ? '.njk'
            : String(input.templateFileExtension);
        if (!extension.startsWith('.')) extension = `.${extension}`;
      }
    }

    for (const entry of entries.sort()) {
      files++;
      const file = path.join(root, entry);
      const nameError = step.single ? undefined : parseError(entry);
      if (nameError) {
        findings.push({
          file,
          line: 1,
          column: 1,
          message: `the file name ${entry} is not a valid template: ${nameError.message}`,
        });
      }
      const renders = extension
        ? path.extname(entry) === extension
        : !copyOnly.has(entry);
      if (!renders || (await isBinaryFile(file))) continue;
      const error = parseError(fs.readFileSync(file, 'utf8'));
      if (error) {
        findings.push({
          file,
          line: error.line ?? 1,
          column: error.column ?? 1,
          message: `template syntax: ${error.message.replace(
            /^Template error at line \d+, column \d+: /,
            '',
          )} (rendered by step ${step.id ?? step.index + 1}, ${step.action})`,
        });
      }
    }
  }
  return { findings, files };
}
