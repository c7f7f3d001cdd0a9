import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'A production account for the payments team, by OU path, with an extra tag',
    example: yaml.stringify({
      steps: [
        {
          id: 'create-account',
          action: 'aws:organizations:account:create',
          name: 'Create AWS account',
          input: {
            accountName: 'payments-ledger-prod',
            email: 'aws+payments-ledger-prod@example.com',
            tenant: 'group:default/team-payments',
            ou: 'Workloads/Prod',
            tags: {
              'cost-centre': 'CC-1042',
              environment: 'prod',
              'data-classification': 'confidential',
            },
          },
        },
      ],
    }),
  },
  {
    description:
      'A sandbox account for the search team, by OU id, with its own admin role name',
    example: yaml.stringify({
      steps: [
        {
          id: 'create-account',
          action: 'aws:organizations:account:create',
          name: 'Create AWS account',
          input: {
            accountName: 'search-experiments',
            email: 'aws+search-experiments@example.com',
            tenant: 'group:default/team-search',
            ou: 'ou-abcd-12345678',
            tags: { 'cost-centre': 'CC-2001', environment: 'sandbox' },
            roleName: 'PlatformAdmin',
          },
        },
      ],
    }),
  },
];
