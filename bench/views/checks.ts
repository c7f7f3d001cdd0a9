/** What the answers of both sides must say, and what ours said that it should not have. */
import { log } from '../lib/process';
import type { Answer } from './client';

/**
 * What ours said that it should not have: a healthy cluster with an error
 * (e.g. a timeout of a slow but live cluster), or the black hole without
 * one. Recorded with the figures, not fatal: it is part of the result.
 */
export const anomalies: string[] = [];

/** Records (and logs) an anomaly; with `once`, not again if it is there. */
export function anomaly(line: string, once = false): void {
  if (once && anomalies.includes(line)) return;
  anomalies.push(line);
  log(line);
}

/** Ours must name every healthy cluster without error, and the black hole with one. */
export function checkOurs(
  a: Answer,
  healthy: string[],
  dead: string[],
  where: string,
): string {
  if (a.unanswered) return 'no answer';
  if (a.status !== 200) {
    throw new Error(`ours answered ${a.status}: ${JSON.stringify(a.body)}`);
  }
  const clusters = (a.body?.clusters ?? []) as Array<{
    cluster: string;
    error?: { kind: string; message: string };
  }>;
  const note = (m: string) =>
    anomaly(`${where}: ours (snapshot ${a.body.generatedAt}): ${m}`, true);
  for (const name of healthy) {
    const c = clusters.find(x => x.cluster === name);
    if (!c) note(`${name} is missing`);
    else if (c.error) note(`${name}: ${c.error.kind}: ${c.error.message}`);
  }
  for (const name of dead) {
    const c = clusters.find(x => x.cluster === name);
    if (!c?.error) note(`${name} has no error: ${JSON.stringify(c)}`);
  }
  return `${a.body.state}; ${clusters
    .map(c => `${c.cluster}${c.error ? ` ${c.error.kind}` : ''}`)
    .join(', ')}`;
}

/** The peer must answer for every healthy cluster, without errors. */
export function checkPeer(a: Answer, healthy: string[]): string {
  if (a.unanswered) return 'no answer';
  if (a.status !== 200) {
    throw new Error(`the peer answered ${a.status}: ${JSON.stringify(a.body)}`);
  }
  const items = (a.body?.items ?? []) as Array<{
    cluster: { name: string };
    errors: unknown[];
    resources: Array<{ type: string; resources: unknown[] }>;
  }>;
  for (const name of healthy) {
    const item = items.find(i => i.cluster.name === name);
    if (!item) throw new Error(`the peer: no objects from ${name}`);
    if (item.errors.length) {
      throw new Error(`the peer: ${name}: ${JSON.stringify(item.errors)}`);
    }
  }
  return items
    .map(
      i =>
        `${i.cluster.name} ${i.resources.reduce(
          (n, r) => n + r.resources.length,
          0,
        )} objects${i.errors.length ? `, ${i.errors.length} errors` : ''}`,
    )
    .join(', ');
}
