import { hasKubernetesWorkloads, workloadSelectorOf } from './entities';

const component = (annotations: Record<string, string>) => ({
  kind: 'Component',
  metadata: { name: 'x', annotations },
});

describe('workloadSelectorOf', () => {
  it('selects by kubernetes-id, in the annotated namespace', () => {
    expect(
      workloadSelectorOf(
        component({
          'backstage.io/kubernetes-id': 'checkout',
          'backstage.io/kubernetes-namespace': 'payments',
        }),
      ),
    ).toEqual({
      labels: { 'backstage.io/kubernetes-id': 'checkout' },
      namespace: 'payments',
    });
  });

  it('prefers kubernetes-id over a label selector', () => {
    expect(
      workloadSelectorOf(
        component({
          'backstage.io/kubernetes-id': 'a',
          'backstage.io/kubernetes-label-selector': 'app=b',
        }),
      )?.labels,
    ).toEqual({ 'backstage.io/kubernetes-id': 'a' });
  });

  it('reads equality label selectors, trimming spaces', () => {
    expect(
      workloadSelectorOf(
        component({
          'backstage.io/kubernetes-label-selector': 'app=web, tier = front',
        }),
      ),
    ).toEqual({ labels: { app: 'web', tier: 'front' }, namespace: undefined });
  });

  it.each(['app', 'app in (a,b)', '=x', 'app=web,'])(
    'selects nothing for the selector %j it cannot match',
    selector => {
      expect(
        workloadSelectorOf(
          component({ 'backstage.io/kubernetes-label-selector': selector }),
        ),
      ).toBeUndefined();
    },
  );
});

describe('hasKubernetesWorkloads', () => {
  it('holds for Components that select workloads, of any kind spelling', () => {
    expect(
      hasKubernetesWorkloads(component({ 'backstage.io/kubernetes-id': 'a' })),
    ).toBe(true);
    expect(
      hasKubernetesWorkloads({
        ...component({ 'backstage.io/kubernetes-id': 'a' }),
        kind: 'component',
      }),
    ).toBe(true);
  });

  it('does not hold for other kinds or Components without a usable selector', () => {
    expect(
      hasKubernetesWorkloads({
        ...component({ 'backstage.io/kubernetes-id': 'a' }),
        kind: 'Resource',
      }),
    ).toBe(false);
    expect(hasKubernetesWorkloads(component({}))).toBe(false);
    expect(
      hasKubernetesWorkloads(
        component({ 'backstage.io/kubernetes-label-selector': 'app' }),
      ),
    ).toBe(false);
  });
});
