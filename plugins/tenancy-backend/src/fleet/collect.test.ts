import { connectSandbox } from '@tenancy/sandbox';
import { collectCluster } from './collect';

jest.setTimeout(60_000);

describe('collectCluster on a sandbox cluster', () => {
  it('reads the same namespaces page by page (limit/continue) as in one page', async () => {
    const sandbox = connectSandbox();
    const cluster = sandbox.cluster('sandbox-b');
    const count = { small: 0, large: 0 };
    const read = (pageSize: number, counter: 'small' | 'large') =>
      collectCluster(
        cluster.kubeConfig('platform'),
        { name: cluster.name },
        {
          timeoutMs: 10_000,
          concurrency: 2,
          pageSize,
          onRequest: () => count[counter]++,
        },
      );
    const names = (c: Awaited<ReturnType<typeof read>>) =>
      new Set(c.namespaces!.map(n => n.name));
    // One paged read between two whole reads: other tests make and delete
    // namespaces on this cluster meanwhile, so the paged read must have
    // every namespace both whole reads had, each once.
    const before = await read(500, 'large');
    const small = await read(2, 'small');
    const after = await read(500, 'large');
    count.large /= 2;
    expect(small.error).toBeUndefined();
    const paged = names(small);
    const both = [...names(before)].filter(n => names(after).has(n));
    expect(both.filter(n => !paged.has(n))).toEqual([]);
    expect(small.namespaces!.length).toBe(paged.size);
    const large = after;
    expect(small.namespaces!.length).toBeGreaterThan(4);
    // Small pages took more requests: the pages were really followed.
    expect(count.small).toBeGreaterThan(count.large);
    // The platform identity never reads Secrets; it would be refused anyway.
    expect(Object.keys(large)).not.toContain('secrets');
  });
});
