/** bench/catalog's flags and constants. */
import { defineCommand, option, read, Reader, SettingsOf } from '../lib/args';
import { benchPaths } from '../lib/paths';

export const WORK_DIR = benchPaths('catalog').workDir;
/** Every namespace the bench makes carries this label (deleted at the end). */
export const RUN_LABEL = 'tenancy-bench/catalog';
export const MODES = ['delta', 'full'] as const;
export type Mode = (typeof MODES)[number];

/** PostgreSQL settings, comma-separated `name=value` (no spaces or quotes: they go on pg_ctl's command line). */
const pgSettings: Reader<string[]> = (value, flag) => {
  const list = value.split(',').filter(Boolean);
  const bad = list.find(
    setting => !/^[a-z_][a-z0-9_.]*=[A-Za-z0-9_.:-]+$/i.test(setting),
  );
  if (!list.length || bad !== undefined) {
    throw new Error(
      `${flag}: name=value pairs, e.g. plan_cache_mode=force_custom_plan${
        bad === undefined ? '' : ` (not ${JSON.stringify(bad)})`
      }`,
    );
  }
  return list;
};

export const command = defineCommand({
  name: 'catalog',
  options: {
    namespaces: option(
      '--namespaces',
      'N',
      read.integer(3),
      10_000,
      'tenant namespaces in all, spread over the 3 clusters',
    ),
    teams: option('--teams', 'T', read.integer(1), 200, 'owning teams'),
    interval: option(
      '--interval',
      'S',
      read.integer(1),
      10,
      "the provider's refresh interval, seconds",
    ),
    refreshes: option(
      '--refreshes',
      'R',
      read.integer(1),
      3,
      'steady-state refreshes whose CPU time is measured',
    ),
    changes: option(
      '--changes',
      'K',
      read.integer(1),
      5,
      'namespaces changed one after the other, each at a random moment, to time how soon the catalog shows it',
    ),
    modes: option(
      '--modes',
      'M',
      read.someOf(MODES),
      [...MODES] as Mode[],
      'delta (the module as shipped), full (a full mutation every refresh), or both',
    ),
    database: option(
      '--database',
      'DB',
      read.someOf(['sqlite', 'postgres'] as const),
      ['sqlite'] as Array<'sqlite' | 'postgres'>,
      "the catalog's database: sqlite (in memory), postgres (a throw-away server), or both",
    ),
    replicas: option(
      '--replicas',
      'N',
      read.integer(1),
      1,
      'catalog processes sharing one database (PostgreSQL only) and a Redis cache, as replicas of a portal do; the first is measured, the CPU is all of theirs',
    ),
    pgSettings: option(
      '--pg-settings',
      'LIST',
      pgSettings,
      [] as string[],
      'settings of the throw-away PostgreSQL, comma-separated `name=value`, e.g. plan_cache_mode=force_custom_plan',
      { shownDefault: 'none: fsync=off only' },
    ),
    pgStatements: option(
      '--pg-statements',
      '0|1',
      read.integer(0),
      0,
      "1: pg_stat_statements on; each run's 25 costliest statements to var/bench/catalog/pg-statements-<mode>.txt",
    ),
    reuse: option(
      '--reuse',
      '0|1',
      read.integer(0),
      0,
      '1: keep the namespaces a previous run left (with --keep 1) instead of making them again',
    ),
    keep: option(
      '--keep',
      '0|1',
      read.integer(0),
      0,
      '1: leave the namespaces for the next run (--reuse 1) instead of deleting them',
    ),
    role: option(
      '--role',
      'ROLE',
      read.optionalText,
      undefined,
      'internal: `child:<mode>` runs one catalog for the parent, `replica:<mode>` one more',
    ),
  },
  notes: [
    'Makes N namespaces on the sandbox (label tenancy-bench/catalog), runs one catalog per mode',
    '(delta, then full) in a process of its own, and deletes the namespaces at the end.',
  ],
});
export type Settings = SettingsOf<typeof command>;
