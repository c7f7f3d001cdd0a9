import { connectSandbox } from '@tenancy/sandbox';
import { collectCluster } from './collect';

jest.setTimeout(60_000);

describe('collectCluster on a sandbox cluster', () => {
  it('reads the same namespaces page by page (limit/continue) as in one page', async () => {
    const sandbox = connectSandbox();
    const cluster = sandbox.cluster('sandbox-b');
    const count = { small: 0, large: 0 };
    const small = await collectCluster(
      cluster.kubeConfig('platform'),
      { name: cluster.name },
      {
        timeoutMs: 10_000,
        concurrency: 2,
        pageSize: 2,
        onRequest: () => count.small++,
      },
    );
    const large = await collectCluster(
      cluster.kubeConfig('platform'),
      { name: cluster.name },
      {
        timeoutMs: 10_000,
        concurrency: 2,
        pageSize: 500,
        onRequest: () => count.large++,
      },
    );
    expect(small.error).toBeUndefined();
    expect(small.namespaces!.map(n => n.name).sort()).toEqual(
      large.namespaces!.map(n => n.name).sort(),
    );
    expect(small.namespaces!.length).toBeGreaterThan(4);
    // Small pages took more requests: the pages were really followed.
    expect(count.small).toBeGreaterThan(count.large);
    // The platform identity never reads Secrets; it would be refused anyway.
    expect(Object.keys(large)).not.toContain('secrets');
  });
});
