import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { JsonObject } from '@backstage/types';
import path from 'node:path';
import request from 'supertest';
import { portalFeatures } from './features';
import { eventually } from './__testUtils__/portalProcess';
import {
  createTestDatabase,
  TestDatabase,
  testDatabaseIds,
} from './__testUtils__/databases';

const repoRoot = path.resolve(__dirname, '../../..');

// Each test starts a real backend twice on a real database; on two busy cores
// that takes longer than jest's default 5 s.
jest.setTimeout(120_000);

// The stateful part of the portal: catalog and scaffolder keep what they know
// in the database, which is what must work on SQLite and PostgreSQL alike.
const statefulFeatures = [
  ...portalFeatures.catalog,
  ...portalFeatures.scaffolder,
  ...portalFeatures.permission,
];

function configFor(database: JsonObject): JsonObject {
  return {
    backend: {
      baseUrl: 'http://localhost:7007',
      database,
    },
    catalog: {
      rules: [
        {
          allow: [
            'Component',
            'System',
            'Group',
            'User',
            'Location',
            'Template',
          ],
        },
      ],
      locations: [
        { type: 'file', target: path.join(repoRoot, 'catalog-info.yaml') },
        { type: 'file', target: path.join(repoRoot, 'examples/org.yaml') },
        {
          type: 'file',
          target: path.join(__dirname, '__testUtils__/fixtures/templates.yaml'),
        },
      ],
      processingInterval: { seconds: 1 },
    },
  };
}

async function startPortalBackend(database: JsonObject) {
  return startTestBackend({
    features: [
      ...statefulFeatures,
      mockServices.rootConfig.factory({ data: configFor(database) }),
    ],
  });
}

describe.each(testDatabaseIds())('portal backend on %s', databaseId => {
  let database: TestDatabase;
  const databasesToDrop: TestDatabase[] = [];

  beforeEach(async () => {
    database = await createTestDatabase(databaseId);
    databasesToDrop.push(database);
  });

  // Stopped test backends leave idle pool connections behind; dropping the
  // databases once, at the end, keeps them from logging reconnect errors.
  afterAll(async () => {
    await Promise.all(databasesToDrop.map(d => d.cleanup()));
  });

  it('ingests the repo catalog and still has it after a restart', async () => {
    const first = await startPortalBackend(database.config);
    const system = await eventually(
      'the tenancy System in the catalog',
      async () => {
        const res = await request(first.server).get(
          '/api/catalog/entities/by-name/system/default/tenancy',
        );
        return res.status === 200 ? res.body : undefined;
      },
    );
    expect(system.spec.owner).toBe('group:default/guests');
    await first.stop();

    // The first read after a restart is served from the database, before any
    // location has been processed again.
    const second = await startPortalBackend(database.afterRestart());
    const res = await request(second.server).get(
      '/api/catalog/entities/by-name/system/default/tenancy',
    );
    expect(res.status).toBe(200);
    expect(res.body.metadata.uid).toBe(system.metadata.uid);
    await second.stop();
  });

  it('runs a scaffolder task and still reports it after a restart', async () => {
    const first = await startPortalBackend(database.config);
    await eventually('the probe template in the catalog', async () => {
      const res = await request(first.server).get(
        '/api/catalog/entities/by-name/template/default/persistence-probe',
      );
      return res.status === 200 ? true : undefined;
    });

    const created = await request(first.server)
      .post('/api/scaffolder/v2/tasks')
      .send({
        templateRef: 'template:default/persistence-probe',
        values: { message: `probe on ${databaseId}` },
      });
    expect(created.status).toBe(201);
    const taskId: string = created.body.id;

    const done = await eventually('the task to finish', async () => {
      const res = await request(first.server).get(
        `/api/scaffolder/v2/tasks/${taskId}`,
      );
      return ['completed', 'failed'].includes(res.body.status)
        ? res.body
        : undefined;
    });
    expect(done.status).toBe('completed');
    await first.stop();

    const second = await startPortalBackend(database.afterRestart());
    const task = await request(second.server).get(
      `/api/scaffolder/v2/tasks/${taskId}`,
    );
    expect(task.status).toBe(200);
    expect(task.body.status).toBe('completed');
    const events = await request(second.server).get(
      `/api/scaffolder/v2/tasks/${taskId}/events`,
    );
    const messages = events.body.map(
      (e: { body: { message?: string } }) => e.body.message,
    );
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`info.*: probe on ${databaseId}$`)),
        'Run completed with status: completed',
      ]),
    );
    await second.stop();
  });
});
