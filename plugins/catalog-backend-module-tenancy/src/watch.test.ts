import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { DefaultClusterRegistry } from '@tenancy/plugin-tenancy-node';
import { connectSandbox } from '@tenancy/sandbox';
import { eventually } from '@tenancy/test-utils';
import fs from 'node:fs';
import YAML from 'yaml';
import { NamespaceWatches } from './watch';

jest.setTimeout(60_000);

const sandbox = connectSandbox();

describe('NamespaceWatches', () => {
  it('keeps watching a cluster without a gap when the API server ends its watch', async () => {
    const overlay = YAML.parse(fs.readFileSync(sandbox.state.overlay, 'utf8'));
    const registry = DefaultClusterRegistry.fromConfig(
      new ConfigReader(overlay),
      { logger: mockServices.logger.mock() },
    );
    const cluster = (await registry.listClusters()).find(
      c => c.name === 'sandbox-a',
    );
    const logger = mockServices.logger.mock();
    // The API server ends each watch after 1 s (25 s outside this test).
    const watches = new NamespaceWatches({
      clusters: registry,
      logger,
      onChange: () => {},
      watchSeconds: 1,
    });
    try {
      watches.sync([cluster!]);
      const since = await eventually('the watch to be up', async () =>
        watches.watchingSince('sandbox-a'),
      );
      const ends = () =>
        logger.debug.mock.calls.filter(([message]) =>
          String(message).includes('Watching sandbox-a again: the watch ended'),
        ).length;
      await eventually('three ends of the watch', async () =>
        ends() >= 3 ? true : undefined,
      );
      // Each time it resumed from the last resourceVersion it saw: no gap,
      // so what was listed before the first end is still known current.
      const after = await eventually('the watch to be up again', async () =>
        watches.watchingSince('sandbox-a'),
      );
      expect(after).toBe(since);
    } finally {
      watches.stop();
    }
    // Stopped: nothing is seen any more.
    expect(watches.watchingSince('sandbox-a')).toBeUndefined();
    expect(watches.unchangedSince('sandbox-a', 0)).toBe(false);
  });
});
