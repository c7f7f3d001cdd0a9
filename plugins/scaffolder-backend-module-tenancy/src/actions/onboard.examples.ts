import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      "Onboard the payments team's namespace on every dev cluster, small quota",
    example: yaml.stringify({
      steps: [
        {
          id: 'onboard',
          action: 'tenancy:namespace:onboard',
          name: 'Onboard namespace',
          input: {
            tenant: 'group:default/team-payments',
            namespace: 'payments-ledger',
            environment: 'dev',
          },
        },
      ],
    }),
  },
  {
    description:
      'The platform team: onboard on explicit clusters with more pods than the medium preset (both need tenancy.namespace.override), restricted pod security and a label',
    example: yaml.stringify({
      steps: [
        {
          id: 'onboard',
          action: 'tenancy:namespace:onboard',
          name: 'Onboard namespace',
          input: {
            tenant: 'group:default/team-search',
            namespace: 'search-api',
            clusters: ['sandbox-b', 'sandbox-c'],
            quotaPreset: 'medium',
            quota: { pods: '80' },
            podSecurity: 'restricted',
            labels: { 'cost-centre': 'cc-1234' },
          },
        },
      ],
    }),
  },
];
