/**
 * The one argument parser of the benches: a bench declares its flags (what
 * each reads, its default, a line of help) and gets typed settings and its
 * `--help` text from that declaration.
 *
 *   const command = defineCommand({
 *     name: 'onboarding',
 *     options: { tenants: option('--tenants', 'T', read.integer(1), 50, 'tenants in a row') },
 *     notes: ['Runs on the running sandbox.'],
 *   });
 *   const settings = parseArgs(command, argv); // { tenants: number; out: string }, undefined on --help
 *
 * Every bench writes its figures as JSON: `--out FILE` comes with every
 * command, by default var/bench/<name>.json.
 */
import path from 'node:path';
import { benchPaths, fromRoot } from './paths';

/** Reads a flag's value; throws with the flag's name when it is not valid. */
export type Reader<T> = (value: string, flag: string) => T;

export interface Option<T> {
  flag: `--${string}`;
  /** The value's name in the help, e.g. N, FILE. */
  meta: string;
  read: Reader<T>;
  /** The setting when the flag is not given. */
  default: T;
  help: string;
  /** The default as the help shows it; `null`: none is shown. */
  shownDefault?: string | null;
  /** The flag in the usage line, when not `--flag META` (e.g. `--cases a,fleet,b`). */
  usage?: string;
}

export interface Command<O extends Record<string, Option<any>>> {
  /** The bench: `./bench/run <name>`. */
  name: string;
  options: O;
  /** Lines after the options' help. */
  notes: string[];
}

export type SettingsOf<C> = C extends Command<infer O>
  ? { [K in keyof O]: O[K] extends Option<infer T> ? T : never }
  : never;

/** One flag: `option('--warmup', 'W', read.integer(0), 1, 'unmeasured runs before them')`. */
export function option<T>(
  flag: `--${string}`,
  meta: string,
  read: Reader<T>,
  defaultValue: T,
  help: string,
  extra: Pick<Option<T>, 'shownDefault' | 'usage'> = {},
): Option<T> {
  return { flag, meta, read, default: defaultValue, help, ...extra };
}

/** `--out FILE`: the JSON results of bench `name`, by default var/bench/<name>.json. */
function outOption(name: string): Option<string> {
  const { out } = benchPaths(name);
  return option('--out', 'FILE', read.file, out, 'JSON results', {
    shownDefault: fromRoot(out),
  });
}

/** A bench's flags (and `--out FILE`, last) and the notes of its help. */
export function defineCommand<O extends Record<string, Option<any>>>(
  command: Command<O>,
): Command<O & { out: Option<string> }> {
  return {
    ...command,
    options: { ...command.options, out: outOption(command.name) },
  };
}

// ------------------------------------------------------------------ readers

/** An integer of at least `min`. */
const integer =
  (min: number): Reader<number> =>
  (value, flag) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) {
      throw new Error(`${flag} must be an integer >= ${min}`);
    }
    return n;
  };

/** How the benches' flags read their values: `option('--port', 'P', read.integer(1), …)`. */
export const read = {
  integer,

  /** A comma-separated list of integers of at least `min`, e.g. `1,2`. */
  integers:
    (min: number, example: string): Reader<number[]> =>
    (value, flag) => {
      const list = value.split(',').filter(Boolean);
      if (!list.length) throw new Error(`${flag}: e.g. ${example}`);
      return list.map(x => integer(min)(x, flag));
    },

  /** Some of `choices` (comma-separated), in the order of `choices`. */
  someOf:
    <C extends string>(choices: readonly C[]): Reader<C[]> =>
    (value, flag) => {
      const list = value.split(',').filter(Boolean);
      const bad = list.filter(c => !(choices as readonly string[]).includes(c));
      if (bad.length || !list.length) {
        throw new Error(`${flag}: one or more of ${choices.join(', ')}`);
      }
      return choices.filter(c => list.includes(c));
    },

  /** A file, relative to the working directory. */
  file: (value: string) => path.resolve(value),

  /** The text as it is, for a flag without a default. */
  optionalText: (value: string): string | undefined => value,
};

// ------------------------------------------------------------------ parsing

/** The settings, or undefined for `-h` / `--help`. */
export function parseArgs<C extends Command<any>>(
  command: C,
  argv: string[],
): SettingsOf<C> | undefined {
  const entries = Object.entries(command.options) as Array<
    [string, Option<unknown>]
  >;
  const settings: Record<string, unknown> = Object.fromEntries(
    entries.map(([key, o]) => [key, o.default]),
  );
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '-h' || flag === '--help') return undefined;
    const entry = entries.find(([, o]) => o.flag === flag);
    if (!entry) {
      throw new Error(`unknown argument ${flag}\n\n${usage(command)}`);
    }
    const value = argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    settings[entry[0]] = entry[1].read(value, flag);
  }
  return settings as SettingsOf<C>;
}

const WIDTH = 100;

/** Words in lines of at most `width` characters (a longer word stays whole). */
function wrap(words: string[], width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  return [...lines, line];
}

function shownDefault(o: Option<unknown>): string | undefined {
  if (o.shownDefault !== undefined) return o.shownDefault ?? undefined;
  if (o.default === undefined) return undefined;
  return Array.isArray(o.default) ? o.default.join(',') : String(o.default);
}

/** The help: a usage line of every flag, a line (or more) per flag, the notes. */
export function usage(command: Command<any>): string {
  const options = Object.values(command.options) as Array<Option<unknown>>;
  const head = `usage: ./bench/run ${command.name} `;
  const flags = options.map(o => `[${o.usage ?? `${o.flag} ${o.meta}`}]`);
  const usageLines = wrap(flags, WIDTH - head.length).map(
    (line, i) => `${i === 0 ? head : ' '.repeat(head.length)}${line}`,
  );
  const names = options.map(o => `${o.flag} ${o.meta}`);
  const column = Math.max(...names.map(n => n.length)) + 4;
  const help = options.flatMap((o, i) => {
    const shown = shownDefault(o);
    const words = shown === undefined ? o.help : `${o.help} (default ${shown})`;
    return wrap(words.split(' '), WIDTH - column).map(
      (line, j) => `${(j === 0 ? `  ${names[i]}` : '').padEnd(column)}${line}`,
    );
  });
  return [...usageLines, '', ...help, '', ...command.notes].join('\n');
}

/** For `--help`: the usage on stdout; the exit code. */
export function printUsage(command: Command<any>): number {
  process.stdout.write(`${usage(command)}\n`);
  return 0;
}
