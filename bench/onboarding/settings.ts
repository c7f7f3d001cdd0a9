/** bench/onboarding's flags and constants. */
import os from 'node:os';
import path from 'node:path';
import { defineCommand, option, read, SettingsOf } from '../lib/args';
import { benchPaths } from '../lib/paths';

export const WORK_DIR = benchPaths('onboarding').workDir;
export const KUBERNETES_VERSION = 'v1.34.4';
export const RUN_LABEL = 'tenancy-bench/run';
export const KUBECTL_FIELD_MANAGER = 'tenancy-bench';
export const TIMEOUT_MS = 30_000;
/** ours <= GOAL x kubectl. */
export const GOAL = 0.5;

function defaultKubectl(): string {
  const cache =
    process.env.TENANCY_CACHE ??
    path.join(
      process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'),
      'tenancy',
    );
  return path.join(cache, 'bin', `kubectl-${KUBERNETES_VERSION}`, 'kubectl');
}

export const command = defineCommand({
  name: 'onboarding',
  options: {
    iterations: option(
      '--iterations',
      'N',
      read.integer(1),
      5,
      'measured runs of cases (a) and (c)',
    ),
    warmup: option(
      '--warmup',
      'W',
      read.integer(0),
      1,
      'unmeasured runs before them',
    ),
    tenants: option(
      '--tenants',
      'T',
      read.integer(1),
      50,
      'tenants in a row for case (b)',
    ),
    kubectl: option(
      '--kubectl',
      'PATH',
      read.file,
      process.env.KUBECTL || defaultKubectl(),
      'kubectl binary',
      {
        shownDefault: `$KUBECTL, else the sandbox cache's kubectl-${KUBERNETES_VERSION}`,
      },
    ),
  },
  notes: [
    'Runs on the running sandbox (yarn sandbox up; TENANCY_SANDBOX_DIR selects which).',
  ],
});

export type Settings = SettingsOf<typeof command>;
