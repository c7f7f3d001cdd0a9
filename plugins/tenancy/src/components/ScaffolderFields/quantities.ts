import type { QuotaPreset } from '@tenancy/plugin-tenancy-common';

const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

/** A memory quantity as people read it: `4Gi` → `4 GiB`, `512Mi` → `512 MiB`. */
export function memoryText(quantity: string): string {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti)$/.exec(quantity);
  if (!match) return quantity;
  const bytes = Number(match[1]) * BINARY[match[2]];
  for (const unit of ['Ti', 'Gi', 'Mi', 'Ki']) {
    const n = bytes / BINARY[unit];
    if (n >= 1 && Number.isInteger(n * 10))
      return `${Number.isInteger(n) ? n : n.toFixed(1)} ${unit}B`;
  }
  return quantity;
}

/** A CPU quantity as people read it: `2` → `2 CPU`, `500m` → `0.5 CPU`. */
export function cpuText(quantity: string): string {
  const milli = /^(\d+)m$/.exec(quantity);
  if (milli) return `${Number(milli[1]) / 1000} CPU`;
  return `${quantity} CPU`;
}

/**
 * What a size gives, in one line: requests, then limits and counts — the
 * preset's real `hard` values, so the form cannot say other numbers than
 * the quota the namespace gets.
 */
export function presetSummary(preset: QuotaPreset): string {
  const { hard } = preset;
  const parts: string[] = [];
  const cpu = hard['requests.cpu'] ?? hard.cpu;
  const memory = hard['requests.memory'] ?? hard.memory;
  if (cpu || memory) {
    parts.push(
      `${[cpu && cpuText(cpu), memory && memoryText(memory)]
        .filter(Boolean)
        .join(' / ')} requested`,
    );
  }
  if (hard['limits.cpu'] || hard['limits.memory']) {
    parts.push(
      `limits ${[
        hard['limits.cpu'] && cpuText(hard['limits.cpu']),
        hard['limits.memory'] && memoryText(hard['limits.memory']),
      ]
        .filter(Boolean)
        .join(' / ')}`,
    );
  }
  if (hard.pods) parts.push(`${hard.pods} pods`);
  const shown = new Set([
    'requests.cpu',
    'cpu',
    'requests.memory',
    'memory',
    'limits.cpu',
    'limits.memory',
    'pods',
  ]);
  const counted: Record<string, string> = {
    services: 'services',
    persistentvolumeclaims: 'volume claims',
    configmaps: 'config maps',
    secrets: 'secrets',
  };
  for (const [resource, value] of Object.entries(hard)) {
    if (shown.has(resource)) continue;
    const noun = counted[resource] ?? counted[resource.replace(/^count\//, '')];
    parts.push(noun ? `${value} ${noun}` : `${resource} ${value}`);
  }
  return parts.join(', ');
}
