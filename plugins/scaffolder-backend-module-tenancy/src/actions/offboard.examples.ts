import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: "Remove the payments team's namespace from every dev cluster",
    example: yaml.stringify({
      steps: [
        {
          id: 'offboard',
          action: 'tenancy:namespace:offboard',
          name: 'Offboard namespace',
          input: {
            tenant: 'group:default/team-payments',
            namespace: 'payments-ledger',
            environment: 'dev',
            waitSeconds: 120,
          },
        },
      ],
    }),
  },
];
