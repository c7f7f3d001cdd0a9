import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      "Close one of the payments team's accounts; confirm repeats the id",
    example: yaml.stringify({
      steps: [
        {
          id: 'close-account',
          action: 'aws:organizations:account:close',
          name: 'Close AWS account',
          input: {
            accountId: '210987654321',
            tenant: 'group:default/team-payments',
            confirm: '210987654321',
          },
        },
      ],
    }),
  },
];
