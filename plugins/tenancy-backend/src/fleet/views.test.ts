import { ClusterSnapshot } from './types';
import { entityHealth } from './views';

const healthy: ClusterSnapshot = {
  name: 'a',
  fetchedAt: '2026-11-21T00:00:00Z',
  durationMs: 1,
  reachable: true,
  workloads: [
    {
      kind: 'Deployment',
      namespace: 'ns',
      name: 'web',
      labels: { 'backstage.io/kubernetes-id': 'web' },
      selector: { app: 'web' },
      desired: 1,
      ready: 1,
    },
  ],
  pods: [
    {
      namespace: 'ns',
      name: 'web-1',
      labels: { app: 'web', 'backstage.io/kubernetes-id': 'web' },
      phase: 'Running',
      ready: true,
      restarts: 0,
      waiting: [],
    },
  ],
  events: [],
};
const dead: ClusterSnapshot = {
  name: 'b',
  fetchedAt: '2026-11-21T00:00:00Z',
  durationMs: 3000,
  reachable: false,
  error: { kind: 'timeout', message: 'No answer within 3000 ms' },
};

describe('entityHealth', () => {
  const selector = { labels: { 'backstage.io/kubernetes-id': 'web' } };

  it('stays healthy when a cluster the entity does not run on cannot be read', () => {
    const health = entityHealth(
      { generatedAt: '', clusters: [healthy, dead] },
      'component:default/web',
      selector,
    );
    expect(health.state).toBe('healthy');
    expect(health.clusters.map(c => [c.cluster, c.state])).toEqual([
      ['a', 'healthy'],
      ['b', 'unknown'],
    ]);
  });

  it('is unknown when no cluster that could be read runs it', () => {
    expect(
      entityHealth(
        { generatedAt: '', clusters: [dead] },
        'component:default/web',
        selector,
      ).state,
    ).toBe('unknown');
  });
});
