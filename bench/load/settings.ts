/** bench/load's flags and constants. */
import { defineCommand, option, read, SettingsOf } from '../lib/args';
import { benchPaths } from '../lib/paths';

export const WORK_DIR = benchPaths('load').workDir;
/** A seeded service (packages/sandbox/catalog/seed.yaml) and a seeded team. */
export const SERVICE = 'payments-api';
export const TENANT = 'team-payments';
export const ROUTES = [
  { id: 'fleet', path: '/api/tenancy/fleet' },
  { id: 'tenant', path: `/api/tenancy/tenants/default/${TENANT}` },
  {
    id: 'service-health',
    path: `/api/tenancy/entities/component/default/${SERVICE}/health`,
  },
] as const;
/** What the routes need in the catalog: the service, the team, pat and the platform team. */
export const SEEDED = [
  `component/default/${SERVICE}`,
  `group/default/${TENANT}`,
  'user/default/pat',
  'group/default/platform-team',
];
export const SAMPLE_EVERY_MS = 500;

export const command = defineCommand({
  name: 'load',
  options: {
    duration: option(
      '--duration',
      'S',
      read.integer(1),
      60,
      'measured seconds per scenario',
    ),
    users: option(
      '--users',
      'N',
      read.integer(1),
      50,
      'concurrent users, closed loops',
    ),
    scenarios: option(
      '--scenarios',
      'LIST',
      read.integers(1, '1,2'),
      [1, 2],
      'replica counts, in this order',
      { usage: '--scenarios 1,2' },
    ),
    warmup: option(
      '--warmup',
      'S',
      read.integer(0),
      10,
      'seconds of the same load before measuring, unmeasured',
    ),
    idle: option(
      '--idle',
      'S',
      read.integer(0),
      10,
      "seconds without load before the warm-up: each replica's own CPU",
    ),
    timeoutMs: option(
      '--timeout',
      'MS',
      read.integer(100),
      30_000,
      'a request that takes longer is an error',
    ),
    pgUrl: option(
      '--pg-url',
      'URL',
      read.optionalText,
      undefined,
      'use this PostgreSQL server (postgresql://user@host:port) instead of starting a throw-away one; the bench drops its databases at the end',
    ),
    redisUrl: option(
      '--redis-url',
      'URL',
      read.optionalText,
      undefined,
      'use this Redis server (redis://host:port) instead of starting one',
    ),
  },
  notes: [
    'Runs on the running sandbox (yarn sandbox up; TENANCY_SANDBOX_DIR selects which); starts',
    'and stops the portal backend replicas itself (packages/backend, yarn backstage-cli package',
    'start) on free ports. Exits 1 if any measured request failed.',
  ],
});

export type Settings = SettingsOf<typeof command>;
