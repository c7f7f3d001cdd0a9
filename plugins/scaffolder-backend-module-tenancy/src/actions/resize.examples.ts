import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      "Give the payments team's namespace the medium quota on every dev cluster",
    example: yaml.stringify({
      steps: [
        {
          id: 'resize',
          action: 'tenancy:namespace:resize',
          name: 'Resize namespace',
          input: {
            tenant: 'group:default/team-payments',
            namespace: 'payments-ledger',
            environment: 'dev',
            quotaPreset: 'medium',
          },
        },
      ],
    }),
  },
];
