import type {
  ClusterError,
  HealthState,
  NamespaceSummary,
  QuotaUsage,
  TenantResponse,
} from '@tenancy/plugin-tenancy-common';
import { healthSeverity } from '../shared';

/** A cluster column of the team's namespace matrix. */
export interface MatrixColumn {
  cluster: string;
  environment?: string;
  /** Why the cluster could not be read: its cells are unknown, not absent. */
  error?: ClusterError;
}

/** One namespace (by name) across the clusters it is on. */
export interface MatrixRow {
  name: string;
  /** The environments it is in, sorted. */
  environments: string[];
  cells: Record<string, NamespaceSummary>;
  /** Worst workload health over its clusters; undefined when it runs nothing. */
  health?: HealthState;
  /** The fullest quota resource over its clusters. */
  tightest?: { usage: QuotaUsage; cluster: string };
}

export type MatrixSort = 'name' | 'health' | 'quota';

/** Quota from this ratio up stands out (and from 1, as full). */
export const QUOTA_HIGH = 0.8;

/** The fullest resource of one namespace on one cluster. */
export function tightestQuota(quota: QuotaUsage[]): QuotaUsage | undefined {
  let tightest: QuotaUsage | undefined;
  for (const usage of quota) {
    if (usage.ratio === undefined) continue;
    if (!tightest || usage.ratio > (tightest.ratio ?? 0)) tightest = usage;
  }
  return tightest;
}

/** The state a cell shows: the namespace's workload health, if it runs any. */
export function cellHealth(ns: NamespaceSummary): HealthState | undefined {
  return ns.workloads.total ? ns.workloads.state : undefined;
}

function environmentOrder(a?: string, b?: string) {
  // Environments in config order would be better; without it, dev before
  // prod reads naturally and unknown last.
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  return a.localeCompare(b);
}

/** The team's namespaces as rows, and the clusters they are on as columns (grouped by environment). */
export function buildMatrix(tenant: TenantResponse): {
  columns: MatrixColumn[];
  rows: MatrixRow[];
} {
  const columns = new Map<string, MatrixColumn>();
  const rows = new Map<string, MatrixRow>();
  for (const ns of tenant.namespaces) {
    if (!columns.has(ns.cluster)) {
      columns.set(ns.cluster, {
        cluster: ns.cluster,
        environment: ns.environment,
      });
    }
    let row = rows.get(ns.name);
    if (!row) {
      row = { name: ns.name, environments: [], cells: {} };
      rows.set(ns.name, row);
    }
    row.cells[ns.cluster] = ns;
    if (ns.environment && !row.environments.includes(ns.environment)) {
      row.environments.push(ns.environment);
      row.environments.sort();
    }
    const health = cellHealth(ns);
    if (
      health &&
      (!row.health || healthSeverity(health) > healthSeverity(row.health))
    ) {
      row.health = health;
    }
    const tight = tightestQuota(ns.quota);
    if (
      tight &&
      (!row.tightest || (tight.ratio ?? 0) > (row.tightest.usage.ratio ?? 0))
    ) {
      row.tightest = { usage: tight, cluster: ns.cluster };
    }
  }
  for (const { cluster, error } of tenant.clusterErrors) {
    const known = columns.get(cluster);
    columns.set(cluster, { ...known, cluster, error });
  }
  return {
    columns: [...columns.values()].sort(
      (a, b) =>
        environmentOrder(a.environment, b.environment) ||
        a.cluster.localeCompare(b.cluster),
    ),
    rows: [...rows.values()],
  };
}

/** Whether a row needs someone's attention: unhealthy, or quota at 80 % or more. */
export function needsAttention(row: MatrixRow): boolean {
  return (
    (row.health !== undefined && healthSeverity(row.health) >= 2) ||
    (row.tightest?.usage.ratio ?? 0) >= QUOTA_HIGH
  );
}

/** Filters (by name, and optionally to those needing attention) and sorts rows. */
export function selectRows(
  rows: MatrixRow[],
  options: { filter: string; sort: MatrixSort; attentionOnly: boolean },
): MatrixRow[] {
  const needle = options.filter.trim().toLowerCase();
  const selected = rows.filter(
    row =>
      (!needle || row.name.toLowerCase().includes(needle)) &&
      (!options.attentionOnly || needsAttention(row)),
  );
  const byName = (a: MatrixRow, b: MatrixRow) => a.name.localeCompare(b.name);
  const compare: Record<MatrixSort, (a: MatrixRow, b: MatrixRow) => number> = {
    name: byName,
    health: (a, b) =>
      (b.health ? healthSeverity(b.health) : -1) -
        (a.health ? healthSeverity(a.health) : -1) || byName(a, b),
    quota: (a, b) =>
      (b.tightest?.usage.ratio ?? -1) - (a.tightest?.usage.ratio ?? -1) ||
      byName(a, b),
  };
  return selected.sort(compare[options.sort]);
}

/**
 * What a namespace lacks of the baseline's policies on one cluster, as
 * "no LimitRange, no default-deny"; empty when it has both.
 */
function missingPolicies(ns: NamespaceSummary): string {
  return [
    !ns.limitRange && 'no LimitRange',
    !ns.networkPolicies.defaultDeny && 'no default-deny',
  ]
    .filter(Boolean)
    .join(', ');
}

/**
 * The namespace's policies over its clusters, as one line of text: the
 * baseline's, or what is missing where — in full, for the matrix shows it as
 * text, not behind a tooltip (a per-row MUI Tooltip and Typography were most
 * of the team page's render time, and hid the detail from keyboard and
 * touch users).
 */
export function policiesText(cells: NamespaceSummary[]): {
  missing: boolean;
  text: string;
} {
  const missing = cells
    .map(ns => ({ cluster: ns.cluster, what: missingPolicies(ns) }))
    .filter(m => m.what);
  if (missing.length === 0) {
    return { missing: false, text: 'LimitRange · default-deny' };
  }
  const same = missing.every(m => m.what === missing[0].what);
  let text: string;
  if (same && missing.length === cells.length) {
    text = missing[0].what;
  } else if (same) {
    text = `${missing[0].what} on ${missing.map(m => m.cluster).join(', ')}`;
  } else {
    text = missing.map(m => `${m.cluster}: ${m.what}`).join('; ');
  }
  return { missing: true, text: `▲ ${text}` };
}
