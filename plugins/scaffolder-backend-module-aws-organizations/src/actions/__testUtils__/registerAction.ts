import { mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { EventsService } from '@backstage/plugin-events-node';
import { AwsAccountEntityProvider } from '@tenancy/plugin-catalog-backend-module-aws-organizations';
import { AwsFixture, FakeConnection, FAST } from '@tenancy/test-utils';
import { createRegisterAwsAccountAction } from '../register';
import { accessDeps } from './runAction';

/**
 * The register action against a catalog fed by the real account provider:
 * its events reach the provider, whose mutations are what the catalog
 * serves (`connection.entities`). With `provider: false` nothing feeds the
 * catalog. (The real catalog is exercised in module.test.ts.)
 */
export async function registerAction(
  f: AwsFixture,
  options: { allowed: string[]; provider?: boolean },
) {
  const events: EventsService = mockServices.events();
  const connection = new FakeConnection();
  if (options.provider ?? true) {
    const provider = AwsAccountEntityProvider.fromConfig(f.config, {
      logger: mockServices.logger.mock(),
      scheduler: mockServices.scheduler.mock(),
      events,
      credentialsManager: f.credentials,
    });
    await provider.connect(connection);
  }
  const catalog = catalogServiceMock.mock({
    getEntityByRef: jest.fn(async ref => connection.entities.get(String(ref))),
  });
  const act = createRegisterAwsAccountAction({
    ...accessDeps(options.allowed),
    clients: f.clients,
    catalog,
    events,
    timing: FAST,
    catalogPollMs: 20,
  });
  return { act, events, connection };
}
