import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

/** A template with one step: the create action with `input`. */
function createStep(description: string, input: object): TemplateExample {
  const step = {
    id: 'create-account',
    action: 'aws:organizations:account:create',
    name: 'Create AWS account',
    input,
  };
  return { description, example: yaml.stringify({ steps: [step] }) };
}

export const examples: TemplateExample[] = [
  createStep(
    'A production account for the payments team, by OU path, with an extra tag',
    {
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
  ),
  createStep(
    "The platform team puts an account for the search team in an OU by id, with its own admin role name (an OU that is no environment's OU in tenancy.aws.organizations.environmentOus, as written there, needs tenancy.namespace.override)",
    {
      accountName: 'search-experiments',
      email: 'aws+search-experiments@example.com',
      tenant: 'group:default/team-search',
      ou: 'ou-abcd-12345678',
      tags: { 'cost-centre': 'CC-2001', environment: 'sandbox' },
      roleName: 'PlatformAdmin',
    },
  ),
];
