import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

const STEP = {
  id: 'onboard',
  action: 'tenancy:namespace:onboard',
  name: 'Onboard namespace',
};

/** A template whose one step onboards with `input`. */
function onboardExample(description: string, input: object): TemplateExample {
  return {
    description,
    example: yaml.stringify({ steps: [{ ...STEP, input }] }),
  };
}

export const examples: TemplateExample[] = [
  onboardExample(
    "Onboard the payments team's namespace on every dev cluster, small quota",
    {
      tenant: 'group:default/team-payments',
      namespace: 'payments-ledger',
      environment: 'dev',
    },
  ),
  onboardExample(
    'The platform team: onboard on explicit clusters with more pods than the medium preset (both need tenancy.namespace.override), restricted pod security and a label',
    {
      tenant: 'group:default/team-search',
      namespace: 'search-api',
      clusters: ['sandbox-b', 'sandbox-c'],
      quotaPreset: 'medium',
      quota: { pods: '80' },
      podSecurity: 'restricted',
      labels: { 'cost-centre': 'cc-1234' },
    },
  ),
];
