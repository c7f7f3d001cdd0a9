import { Command, CommanderError, InvalidArgumentError } from 'commander';
import fs from 'node:fs';
import path from 'node:path';
import {
  colors,
  formatFinding,
  formatSummary,
  formatTemplate,
  plain,
} from './report';
import { defaultLocations, repoRoot, runChecks, sandboxConfig } from './run';
import { failed } from './types';
import { PortalError, PortalTarget } from './portal';

interface CliOptions {
  dryRun: boolean;
  values?: string;
  verbose?: boolean;
  timeout: number;
  listActions?: boolean;
  color: boolean;
  portal?: string;
  token?: string;
}

export function buildProgram(): Command {
  return new Command('tenancy-template-checks')
    .description(
      "Checks software templates: each parses, matches Backstage's Template schema, uses only actions the portal's backend registers, references only parameters it defines, its platform fields' values fit the portal's config, its skeleton renders, and a dry run through the scaffolder's own dry-run API on a real test backend succeeds.",
    )
    .addHelpText(
      'after',
      [
        '',
        `Without paths, every template listed through ${path.relative(
          repoRoot,
          defaultLocations,
        )} (following its Location targets).`,
        "Sample input for the dry run: the template's check-values.yaml, else each parameter's",
        'default / enum / examples. A sandbox (`yarn sandbox up`, or TENANCY_SANDBOX_DIR) gives',
        'the dry run the clusters and environments that tenancy actions need.',
        '',
        "In a template repository's CI, check against the portal itself instead:",
        '  tenancy-template-checks --portal https://portal.example.com .',
        'with a token in BACKSTAGE_TOKEN (a static external-access token of the portal).',
        '',
        'Problems are printed as file:line:column: message.',
        'Exit code: 0 all passed, 1 a check failed, 2 usage or internal error.',
      ].join('\n'),
    )
    .argument(
      '[paths...]',
      'template files, template folders, or Location files to follow',
    )
    .option(
      '--no-dry-run',
      'skip the checks that need the test backend (registered actions, dry run)',
    )
    .option(
      '--values <file>',
      "sample input (YAML) for the dry run, over each template's check-values.yaml",
    )
    .option('--timeout <seconds>', 'per dry run', parsePositive, 120)
    .option(
      '--portal <url>',
      'check against this running portal (its actions, dry run and platform config) instead of starting a test backend',
    )
    .option(
      '--token <token>',
      'the Backstage token for --portal (default: BACKSTAGE_TOKEN)',
    )
    .option('--verbose', "print the test backend's log on stderr")
    .option(
      '--list-actions',
      'list the actions the backend registers, and exit',
    )
    .option('--no-color', 'no colours, even on a terminal')
    .showHelpAfterError()
    .exitOverride()
    .action(async (paths: string[], opts: CliOptions) => {
      const style =
        opts.color && process.stdout.isTTY && !process.env.NO_COLOR
          ? colors
          : plain;
      const out = (lines: string[]) =>
        process.stdout.write(`${lines.join('\n')}\n`);

      if (opts.portal !== undefined && !opts.portal.trim()) {
        // An unset variable in CI ("--portal $BACKSTAGE_URL"): say so
        // rather than check against something else.
        throw new PortalError(
          "--portal needs the portal's URL; it was empty (is BACKSTAGE_URL set?)",
        );
      }
      const portal = opts.portal
        ? { url: opts.portal, token: opts.token ?? process.env.BACKSTAGE_TOKEN }
        : undefined;
      if (opts.listActions) {
        // The test backend is loaded only when it is started: it loads the
        // portal's backend features.
        const backend = portal
          ? new PortalTarget(portal)
          : await (
              require('./backend') as typeof import('./backend')
            ).CheckBackend.start({
              config: (await sandboxConfig())?.config,
              echoLogs: opts.verbose,
            });
        try {
          for (const action of await backend.actions()) {
            out([
              `${style.bold(action.id)}  ${style.dim(
                (action.description ?? '').split('\n')[0],
              )}`,
            ]);
          }
        } finally {
          await backend.stop();
        }
        return;
      }

      const report = await runChecks({
        paths,
        dryRun: opts.dryRun,
        valuesFile: opts.values,
        portal,
        echoBackendLogs: opts.verbose,
        timeoutMs: opts.timeout * 1000,
        onNote: note => out([style.dim(note)]),
        onTemplate: template => out(['', ...formatTemplate(template, style)]),
      });
      if (report.findings.length) {
        out(['', ...report.findings.flatMap(f => formatFinding(f, style))]);
      }
      out(['', ...formatSummary(report, style)]);
      process.exitCode = failed(report) ? 1 : 0;
    });
}

function parsePositive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError('expected a positive number of seconds');
  }
  return n;
}

export async function main(argv: string[]) {
  // Run through `yarn templates:check`, the working directory is the
  // repository root; paths given and printed are relative to where it was
  // typed.
  const initCwd = process.env.INIT_CWD;
  if (initCwd && fs.existsSync(initCwd)) process.chdir(initCwd);
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; usage errors were printed already.
      process.exit(error.exitCode === 0 ? 0 : 2);
    }
    let text = String(error);
    if (error instanceof PortalError) text = error.message;
    else if (error instanceof Error) text = error.stack ?? error.message;
    process.stderr.write(`tenancy-template-checks: ${text}\n`);
    process.exitCode = 2;
  }
  // The test backend's plugins leave timers and sockets behind after stop();
  // the checks are done, so end here with their verdict.
  process.exit(process.exitCode ?? 0);
}
