import { YamlSource } from '../source';
import { Finding } from '../types';
import { closest } from './suggest';

/**
 * Check 3: every `steps[].action` is an action the portal's scaffolder has
 * registered (`registered`: the ids from `GET /api/scaffolder/v2/actions` of
 * the test backend). Reported at the `action:` value.
 */
export function checkActions(
  source: YamlSource,
  registered: ReadonlySet<string>,
): Finding[] {
  const findings: Finding[] = [];
  for (const { index, action } of stepActions(source)) {
    if (registered.has(action)) continue;
    const suggestion = closest(action, registered);
    const path = ['spec', 'steps', index, 'action'];
    findings.push({
      file: source.file,
      ...(source.locateValue(path) ?? source.locate(path)),
      message: `action ${action} is not registered in the portal's backend${
        suggestion ? ` — did you mean ${suggestion}?` : ''
      } (packages/backend/src/features.ts installs the scaffolder modules; \`tenancy-template-checks --list-actions\` lists them)`,
    });
  }
  return findings;
}

export function stepActions(
  source: YamlSource,
): Array<{ index: number; action: string }> {
  const value = source.value() as { spec?: { steps?: unknown } };
  const steps = value?.spec?.steps;
  if (!Array.isArray(steps)) return [];
  return steps.flatMap((step, index) =>
    step && typeof step.action === 'string'
      ? [{ index, action: step.action as string }]
      : [],
  );
}
