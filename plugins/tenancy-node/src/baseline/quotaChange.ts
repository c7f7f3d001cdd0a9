import { parseQuantity } from '../quantity';

/**
 * Each limit a new quota changes (`requests.cpu 2 → 4`), adds or drops, in
 * key order. Quantities are compared as numbers (`1Gi` is `1024Mi`): the API
 * server writes them its own way.
 */
export function quotaChanges(
  before: Record<string, string> | undefined,
  after: Record<string, string>,
): string[] {
  const same = (a: string, b: string) =>
    a === b || parseQuantity(a) === parseQuantity(b);
  const parts: string[] = [];
  const keys = [
    ...new Set([...Object.keys(before ?? {}), ...Object.keys(after)]),
  ].sort();
  for (const key of keys) {
    const from = before?.[key];
    const to = after[key];
    if (from === undefined) parts.push(`${key} ${to} (new)`);
    else if (to === undefined) parts.push(`${key} ${from} → no limit`);
    else if (!same(from, to)) parts.push(`${key} ${from} → ${to}`);
  }
  return parts;
}

/**
 * What a new quota changes, for a plan a person reads: {@link quotaChanges},
 * and — where the namespace already uses more than the new limit — what
 * that means.
 */
export function describeQuotaChange(
  before: Record<string, string> | undefined,
  after: Record<string, string>,
  used: Record<string, string> = {},
): string {
  const parts = quotaChanges(before, after);
  const over = Object.entries(after).filter(
    ([key, limit]) =>
      used[key] !== undefined &&
      parseQuantity(used[key]) > parseQuantity(limit),
  );
  const summary = parts.length ? parts.join(', ') : 'no change';
  if (over.length === 0) return summary;
  return `${summary}; already in use above the new limit: ${over
    .map(([key, limit]) => `${key} ${used[key]} > ${limit}`)
    .join(
      ', ',
    )} (running pods keep running; new ones are refused until use drops)`;
}
