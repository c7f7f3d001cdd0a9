/** bench/views' flags and constants. */
import { defineCommand, option, read, SettingsOf } from '../lib/args';
import { benchPaths } from '../lib/paths';

export const WORK_DIR = benchPaths('views').workDir;
export const RUN_LABEL = 'tenancy-bench/views';
export const ENTITY = {
  kind: 'component',
  namespace: 'default',
  name: 'payments-api',
};
export const ENTITY_REF = `${ENTITY.kind}:${ENTITY.namespace}/${ENTITY.name}`;
/** The routes, from the backend's base URL. */
export const ROUTES = {
  catalog: `/api/catalog/entities/by-name/${ENTITY.kind}/${ENTITY.namespace}/${ENTITY.name}`,
  ours: `/api/tenancy/entities/${ENTITY.kind}/${ENTITY.namespace}/${ENTITY.name}/health`,
  peer: `/api/kubernetes/services/${ENTITY.name}`,
};
export const BLACKHOLE = 'sandbox-blackhole';
/** (a): ours p50 <= GOAL_A x the peer's. */
export const GOAL_A = 0.5;
export const CASES = ['a', 'fleet', 'b'] as const;
export type CaseId = (typeof CASES)[number];

export const command = defineCommand({
  name: 'views',
  options: {
    iterations: option(
      '--iterations',
      'N',
      read.integer(1),
      30,
      'measured requests per side in (a) and (b)',
    ),
    warmup: option(
      '--warmup',
      'W',
      read.integer(0),
      3,
      'unmeasured requests per side before them',
    ),
    namespaces: option(
      '--namespaces',
      'K',
      read.integer(1),
      500,
      'new namespaces per cluster for the fleet case',
    ),
    refreshes: option(
      '--refreshes',
      'R',
      read.integer(1),
      3,
      'in-process refreshes per point in the fleet case',
    ),
    fleetIterations: option(
      '--fleet-iterations',
      'M',
      read.integer(1),
      10,
      'requests per side with the K namespaces in place',
    ),
    port: option(
      '--port',
      'P',
      read.integer(1),
      7127,
      'port of the bench backend',
    ),
    clusterTimeoutMs: option(
      '--cluster-timeout',
      'MS',
      read.integer(100),
      3000,
      'tenancy.clusterTimeoutMs in (b)',
    ),
    marginMs: option(
      '--margin',
      'MS',
      read.integer(0),
      1000,
      '(b): ours must answer within the timeout + this',
    ),
    peerCapMs: option(
      '--peer-cap',
      'MS',
      read.integer(1000),
      60_000,
      'the bench gives up on one request after this long',
    ),
    peerHangs: option(
      '--peer-hangs',
      'H',
      read.integer(0),
      3,
      '(b): ask the peer at most H more times after the cold request while it never answers',
    ),
    cases: option(
      '--cases',
      'LIST',
      read.someOf(CASES),
      [...CASES],
      'which cases, in this order: a, fleet, b',
      { shownDefault: 'all', usage: '--cases a,fleet,b' },
    ),
  },
  notes: [
    'Runs on the running sandbox (yarn sandbox up; TENANCY_SANDBOX_DIR selects which); starts',
    'and stops the portal backend itself (packages/backend, yarn backstage-cli package start).',
  ],
});

export type Settings = SettingsOf<typeof command>;
