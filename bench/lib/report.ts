/** What the benches print and write: durations, tables, the machine, the JSON results. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { log } from './process';
import { round2 } from './stats';

/**
 * A duration: `12.3 s` from 10 s on, else whole ms; below 10 ms to 0.1 ms
 * unless `tenths` is false.
 */
export function ms(x: number, tenths = true): string {
  if (x >= 10_000) return `${(x / 1000).toFixed(1)} s`;
  return tenths && x < 10 ? `${x.toFixed(1)} ms` : `${Math.round(x)} ms`;
}

/** A plain-text table: the first row is the header, columns two spaces apart. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map(r => r[i].length)));
  const line = (r: string[]) =>
    r.map((cell, i) => cell.padEnd(widths[i])).join('  ');
  return [
    line(rows[0]),
    widths.map(w => '-'.repeat(w)).join('  '),
    ...rows.slice(1).map(line),
  ].join('\n');
}

/** The 1-minute load average when a bench starts and when it reports. */
export class LoadAverage {
  readonly before = os.loadavg()[0];
  private after?: number;

  /** Takes the "after" figure (once). */
  end(): this {
    this.after ??= os.loadavg()[0];
    return this;
  }

  text(): string {
    return `load average ${this.before.toFixed(
      1,
    )} before, ${this.end().after!.toFixed(1)} after`;
  }

  json(): { before: number; after: number } {
    return { before: round2(this.before), after: round2(this.end().after!) };
  }
}

/** The machine a bench ran on; a bench adds its own lines (versions, load). */
export function machine() {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  };
}

/** The first line of a bench's report: `\n<Title> bench — <date> — <n> CPUs, <rest>\n\n`. */
export function heading(title: string, started: Date, rest: string): string {
  return `\n${title} bench — ${started.toISOString()} — ${
    os.cpus().length
  } CPUs, ${rest}\n\n`;
}

/** The JSON results, to `file` (its folder made if need be). */
export function writeResults(file: string, results: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  log(`wrote ${path.relative(process.cwd(), file)}`);
}
