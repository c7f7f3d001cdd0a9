import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Register the account a previous step created as a Resource of the team',
    example: yaml.stringify({
      steps: [
        {
          id: 'register-account',
          action: 'aws:organizations:account:register',
          name: 'Register the account in the catalog',
          input: {
            accountId: '${{ steps["create-account"].output.accountId }}',
            tenant: 'group:default/team-payments',
          },
        },
      ],
    }),
  },
];
