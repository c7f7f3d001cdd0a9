import { overridePackagePathResolution } from '@backstage/backend-plugin-api/testUtils';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import catalogBackend from '@backstage/plugin-catalog-backend';
import catalogModuleScaffolderEntityModel from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import { eventsServiceFactory } from '@backstage/plugin-events-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import scaffolderBackend from '@backstage/plugin-scaffolder-backend';
import path from 'node:path';
import request from 'supertest';
import {
  eventually as waitFor,
  accountsWithEmail,
  awsFixture,
  parentOf,
  connectToSandbox,
  tagsOf,
} from '@tenancy/test-utils';
import { catalogModuleAwsOrganizationsAccounts } from '@tenancy/plugin-catalog-backend-module-aws-organizations';
import scaffolderModuleAwsOrganizations from './index';

jest.setTimeout(60_000);

const sb = connectToSandbox();
afterEach(() => sb.cleanup());

const packageRoot = path.resolve(__dirname, '..');
const template = path.resolve(
  packageRoot,
  '../../templates/request-aws-account/template.yaml',
);

// Before `yarn install` links this package, resolvePackagePath cannot find
// its migrations by name.
const pathOverride = overridePackagePathResolution({
  packageName: '@tenancy/plugin-scaffolder-backend-module-aws-organizations',
  path: packageRoot,
});
afterAll(() => pathOverride.restore());

/** The shared poller, with this file's 30 s bound. */
const eventually = <T>(what: string, probe: () => Promise<T | undefined>) =>
  waitFor(what, probe, 30_000, 200);

describe('the request-aws-account template on a real scaffolder and catalog', () => {
  it('creates the account in the OU of the environment and lists it in the catalog as the team’s Resource', async () => {
    const f = awsFixture(sb);
    const backend = await startTestBackend({
      features: [
        catalogBackend,
        catalogModuleScaffolderEntityModel,
        catalogModuleAwsOrganizationsAccounts,
        scaffolderBackend,
        scaffolderModuleAwsOrganizations,
        // The real events service, as createBackend() installs it: events
        // cross from the scaffolder to the catalog. (The mock's do not.)
        eventsServiceFactory,
        mockServices.permissions.factory({ result: AuthorizeResult.ALLOW }),
        mockServices.rootConfig.factory({
          data: {
            ...(f.config.get() as object),
            catalog: {
              rules: [{ allow: ['Template', 'Resource', 'Location'] }],
              locations: [{ type: 'file', target: template }],
              processingInterval: { seconds: 1 },
            },
          },
        }),
      ],
    });
    const server = backend.server;
    try {
      const user = mockCredentials.user.header('user:default/alice');
      await eventually('the template in the catalog', async () => {
        const res = await request(server)
          .get(
            '/api/catalog/entities/by-name/template/default/request-aws-account',
          )
          .set('Authorization', user);
        return res.status === 200 ? res.body : undefined;
      });

      const { email, accountName } = f.unique('tpl');
      const created = await request(server)
        .post('/api/scaffolder/v2/tasks')
        .set('Authorization', user)
        .send({
          templateRef: 'template:default/request-aws-account',
          values: {
            tenant: 'group:default/team-payments',
            accountName,
            email,
            environment: 'prod',
            costCentre: 'CC-1042',
          },
        });
      expect(created.status).toBe(201);

      const task = await eventually('the task to finish', async () => {
        const res = await request(server)
          .get(`/api/scaffolder/v2/tasks/${created.body.id}`)
          .set('Authorization', user);
        return ['completed', 'failed', 'cancelled'].includes(res.body.status)
          ? res.body
          : undefined;
      });
      const events = await request(server)
        .get(`/api/scaffolder/v2/tasks/${created.body.id}/events`)
        .set('Authorization', user);
      const log = (events.body as any[])
        .map(e => e.body?.message)
        .filter(Boolean)
        .join('\n');
      expect({ status: task.status, log }).toMatchObject({
        status: 'completed',
      });
      expect(log).not.toContain(f.secretAccessKey);
      expect(log).not.toContain(f.accessKeyId);

      const [account] = await accountsWithEmail(f.client, email);
      expect(await parentOf(f.client, account.Id!)).toBe(
        f.ous['Workloads/Prod'],
      );
      expect(await tagsOf(f.client, account.Id!)).toEqual({
        tenant: 'group:default/team-payments',
        'cost-centre': 'CC-1042',
        environment: 'prod',
      });

      const entity = await request(server)
        .get(
          `/api/catalog/entities/by-name/resource/default/aws-account-${account.Id}`,
        )
        .set('Authorization', user);
      expect(entity.status).toBe(200);
      expect(entity.body.spec).toEqual({
        type: 'cloud-account',
        owner: 'group:default/team-payments',
      });
      expect(entity.body.relations).toContainEqual({
        type: 'ownedBy',
        targetRef: 'group:default/team-payments',
      });
    } finally {
      await backend.stop();
    }
  });
});
