import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { screen, within } from '@testing-library/react';
import { tenancyApiRef } from '../../api';
import { FakeTenancyApi, responseError } from '../../testing/fakeTenancyApi';
import {
  component,
  HOSTILE,
  searchIndexerHealth,
} from '../../testing/fixtures';
import { EntityHealthCard } from './EntityHealthCard';
import { EntityHealthContent } from './EntityHealthContent';

const REF = 'component:default/search-indexer';

function render(api: FakeTenancyApi, element: JSX.Element) {
  return renderInTestApp(
    <EntityProvider entity={component('search-indexer')}>
      {element}
    </EntityProvider>,
    {
      apis: [
        [tenancyApiRef, api],
        // Allowed: the Kubernetes tab's link is offered (the platform team's
        // case; EntityHealthContent.denied.test.tsx has the other).
        mockApis.permission({ authorize: AuthorizeResult.ALLOW }),
      ],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    },
  );
}

function clusterCard(name: string) {
  const title = screen
    .getAllByText(name, { exact: true })
    .find(el => el.closest('.MuiCard-root'));
  const root = title?.closest('.MuiCard-root');
  if (!root) throw new Error(`no card for ${name}`);
  return within(root as HTMLElement);
}

describe('Service health tab', () => {
  const content = <EntityHealthContent />;

  it('shows progress while the health loads', async () => {
    await render(
      new FakeTenancyApi({ entityHealth: { [REF]: 'pending' } }),
      content,
    );
    expect(
      await screen.findByRole('progressbar', { name: 'Loading' }),
    ).toBeInTheDocument();
  });

  it('shows per cluster the workloads, their problems and Warning events, and one state', async () => {
    const healthy = {
      ...searchIndexerHealth,
      clusters: [searchIndexerHealth.clusters[0]],
    };
    await render(
      new FakeTenancyApi({ entityHealth: { [REF]: healthy } }),
      content,
    );
    expect(await screen.findByText('sandbox-a: Failing')).toBeInTheDocument();

    const a = clusterCard('sandbox-a');
    const workloads = within(a.getByRole('table', { name: 'Workloads' }));
    expect(workloads.getByText('search-indexer')).toBeInTheDocument();
    expect(workloads.getByText('0 / 1')).toBeInTheDocument();
    expect(workloads.getByText('14')).toBeInTheDocument();
    expect(
      workloads.getByText(
        '1 pod in CrashLoopBackOff · 1 pod not ready · 14 restarts',
      ),
    ).toBeInTheDocument();
    expect(workloads.getByText('Failing')).toBeInTheDocument();

    const events = within(
      a.getByRole('table', { name: 'Recent Warning events' }),
    );
    expect(events.getByText('BackOff')).toBeInTheDocument();
    expect(
      events.getByText('Back-off restarting failed container indexer'),
    ).toBeInTheDocument();
    expect(events.getByText('42')).toBeInTheDocument();

    expect(
      screen.getByRole('link', {
        name: 'Pod-level detail in the Kubernetes tab',
      }),
    ).toHaveAttribute(
      'href',
      '/catalog/default/component/search-indexer/kubernetes',
    );
  });

  it("shows a cluster's error beside the clusters it could read", async () => {
    await render(
      new FakeTenancyApi({ entityHealth: { [REF]: searchIndexerHealth } }),
      content,
    );
    expect(await screen.findByText('sandbox-b: Unknown')).toBeInTheDocument();
    expect(
      clusterCard('sandbox-b').getByText(
        /timeout: the API server did not answer within 10000 ms/,
      ),
    ).toBeInTheDocument();
    expect(
      clusterCard('sandbox-a').getByText('search-indexer'),
    ).toBeInTheDocument();
  });

  it('says what to do when no cluster runs the component', async () => {
    await render(
      new FakeTenancyApi({
        entityHealth: {
          [REF]: { ...searchIndexerHealth, state: 'unknown', clusters: [] },
        },
      }),
      content,
    );
    expect(
      await screen.findByText('No workloads found on any cluster'),
    ).toBeInTheDocument();
    expect(screen.getByText(/backstage.io\/kubernetes-id/)).toBeInTheDocument();
  });

  it('says plainly that the user has no access', async () => {
    await render(
      new FakeTenancyApi({
        entityHealth: {
          [REF]: await responseError(
            403,
            'NotAllowedError',
            'You may not read component:default/search-indexer',
          ),
        },
      }),
      content,
    );
    expect(
      await screen.findByText(
        "You don't have access to the health of this component",
      ),
    ).toBeInTheDocument();
  });

  it('renders hostile event messages as text', async () => {
    const [a] = searchIndexerHealth.clusters;
    await render(
      new FakeTenancyApi({
        entityHealth: {
          [REF]: {
            ...searchIndexerHealth,
            clusters: [
              {
                ...a,
                events: [{ ...a.events[0], reason: HOSTILE, message: HOSTILE }],
              },
            ],
          },
        },
      }),
      content,
    );
    expect(await screen.findAllByText(HOSTILE)).toHaveLength(2);
    expect(document.querySelector('img[src="x"]')).toBeNull();
  });
});

describe('Service health overview card', () => {
  const card = <EntityHealthCard />;

  it('shows progress while the health loads', async () => {
    await render(
      new FakeTenancyApi({ entityHealth: { [REF]: 'pending' } }),
      card,
    );
    expect(screen.getByText('Health')).toBeInTheDocument();
    expect(
      await screen.findByRole('progressbar', { name: 'Loading' }),
    ).toBeInTheDocument();
  });

  it('shows the overall state, a chip per cluster and links to the tab', async () => {
    await render(
      new FakeTenancyApi({ entityHealth: { [REF]: searchIndexerHealth } }),
      card,
    );
    expect(await screen.findByText('sandbox-a: Failing')).toBeInTheDocument();
    expect(screen.getByText('sandbox-b: Unknown')).toBeInTheDocument();
    expect(screen.getByText('Failing')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: /View health/ })).toHaveAttribute(
      'href',
      '/catalog/default/component/search-indexer/health',
    );
  });

  it('says when no cluster runs the component', async () => {
    await render(
      new FakeTenancyApi({
        entityHealth: {
          [REF]: { ...searchIndexerHealth, state: 'unknown', clusters: [] },
        },
      }),
      card,
    );
    expect(
      await screen.findByText(
        'No workloads found on any cluster for this component.',
      ),
    ).toBeInTheDocument();
  });

  it('says plainly that the user has no access, in one line', async () => {
    await render(
      new FakeTenancyApi({
        entityHealth: {
          [REF]: await responseError(403, 'NotAllowedError', 'no'),
        },
      }),
      card,
    );
    expect(
      await screen.findByText(
        "You don't have access to the health of this component.",
      ),
    ).toBeInTheDocument();
  });
});
