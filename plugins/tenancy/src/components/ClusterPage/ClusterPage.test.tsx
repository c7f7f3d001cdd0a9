import { renderInTestApp } from '@backstage/frontend-test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { screen, within } from '@testing-library/react';
import { tenancyApiRef } from '../../api';
import { clusterRouteRef, rootRouteRef } from '../../routes';
import { FakeTenancyApi, responseError } from '../../testing/fakeTenancyApi';
import { clusterA, clusterB, HOSTILE, namespace } from '../../testing/fixtures';
import { ClusterPage } from './ClusterPage';

function render(api: FakeTenancyApi, name = 'sandbox-a') {
  return renderInTestApp(<ClusterPage />, {
    apis: [[tenancyApiRef, api]],
    mountPath: '/tenancy/clusters/:name',
    initialRouteEntries: [`/tenancy/clusters/${name}`],
    mountedRoutes: {
      '/tenancy/fleet': rootRouteRef,
      '/tenancy/clusters/:name': clusterRouteRef,
      '/catalog/:namespace/:kind/:name': entityRouteRef,
    },
  });
}

function rowOf(namespaceName: string) {
  const cell = screen
    .getAllByText(namespaceName, { exact: true })
    .find(el => el.closest('tr'));
  const row = cell?.closest('tr');
  if (!row) throw new Error(`no row for ${namespaceName}`);
  return within(row);
}

describe('ClusterPage', () => {
  it('shows progress while the cluster loads', async () => {
    await render(new FakeTenancyApi({ clusters: { 'sandbox-a': 'pending' } }));
    expect(screen.getByText('Cluster sandbox-a')).toBeInTheDocument();
    expect(
      await screen.findByRole('progressbar', { name: 'Loading' }),
    ).toBeInTheDocument();
  });

  it('lists the namespaces with tenant, quota bars, badges and health', async () => {
    const api = new FakeTenancyApi({ clusters: { 'sandbox-a': clusterA } });
    await render(api);
    expect(
      await screen.findByRole('cell', { name: 'payments' }),
    ).toBeInTheDocument();
    expect(screen.getByText('Namespaces: 14')).toBeInTheDocument();
    expect(api.calls).toEqual(['getCluster sandbox-a']);
    expect(screen.getByText('Nodes: 2 / 2 ready')).toBeInTheDocument();
    expect(screen.getByText('Reachable · 12 ms')).toBeInTheDocument();

    const payments = rowOf('payments');
    expect(
      payments.getByRole('link', { name: /team-payments/ }),
    ).toHaveAttribute('href', '/catalog/default/group/team-payments');
    const pods = payments.getByRole('progressbar', {
      name: 'pods: 19 of 20 used',
    });
    expect(pods).toHaveAttribute('aria-valuenow', '95');
    expect(payments.getByText('19 / 20 (95%)')).toBeInTheDocument();
    expect(payments.getByText('LimitRange')).toBeInTheDocument();
    expect(
      payments.getByText('NetworkPolicy ×2 · default deny'),
    ).toBeInTheDocument();
    expect(payments.getByText('Healthy')).toBeInTheDocument();
    expect(payments.getByText('2 / 2 workloads healthy')).toBeInTheDocument();

    const search = rowOf('search');
    expect(search.getByText('Failing')).toBeInTheDocument();
    expect(search.getByText('No ResourceQuota')).toBeInTheDocument();
    expect(search.getByText('No LimitRange')).toBeInTheDocument();
    expect(search.getByText('No NetworkPolicy')).toBeInTheDocument();

    expect(rowOf('kube-system').getByText('No workloads')).toBeInTheDocument();
    expect(
      screen.getByRole('link', { name: '← All clusters' }),
    ).toHaveAttribute('href', '/tenancy/fleet');
  });

  it("shows the cluster's error when it could not be read", async () => {
    await render(
      new FakeTenancyApi({ clusters: { 'sandbox-b': clusterB } }),
      'sandbox-b',
    );
    expect(
      await screen.findByText(/sandbox-b could not be read/),
    ).toBeInTheDocument();
    expect(screen.getByText('Unreachable')).toBeInTheDocument();
    expect(screen.getByText('Environment: prod')).toBeInTheDocument();
    expect(
      screen.getByText(
        /timeout: the API server did not answer within 10000 ms/,
      ),
    ).toBeInTheDocument();
  });

  it('says what to do when the cluster has no namespaces', async () => {
    await render(
      new FakeTenancyApi({
        clusters: { 'sandbox-a': { ...clusterA, namespaceDetails: [] } },
      }),
    );
    expect(await screen.findByText('No namespaces')).toBeInTheDocument();
    expect(screen.getByText(/Onboard a team namespace/)).toBeInTheDocument();
  });

  it('says plainly that the user has no access', async () => {
    await render(
      new FakeTenancyApi({
        clusters: {
          'sandbox-a': await responseError(
            403,
            'NotAllowedError',
            'Cluster views are for the platform team (tenancy.fleet.read)',
          ),
        },
      }),
    );
    expect(
      await screen.findByText("You don't have access to cluster sandbox-a"),
    ).toBeInTheDocument();
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
  });

  it('says when there is no such cluster', async () => {
    await render(
      new FakeTenancyApi({
        clusters: {
          nope: await responseError(
            404,
            'NotFoundError',
            'No cluster named nope',
          ),
        },
      }),
      'nope',
    );
    expect(
      await screen.findByText('Not found: cluster nope'),
    ).toBeInTheDocument();
    expect(screen.getByText('No cluster named nope')).toBeInTheDocument();
  });

  it('renders hostile names, phases and quota resources as text', async () => {
    await render(
      new FakeTenancyApi({
        clusters: {
          'sandbox-a': {
            ...clusterA,
            namespaceDetails: [
              namespace({
                name: HOSTILE,
                phase: HOSTILE,
                quota: [{ resource: HOSTILE, hard: '1', used: '0', ratio: 0 }],
              }),
            ],
          },
        },
      }),
    );
    // The namespace name, its phase and its quota's resource name.
    expect((await screen.findAllByText(HOSTILE)).length).toBeGreaterThanOrEqual(
      3,
    );
    expect(document.querySelector('img[src="x"]')).toBeNull();
  });

  it('pages 500 namespaces, 50 at a time', async () => {
    const many = Array.from({ length: 500 }, (_, i) =>
      namespace({ name: `ns-${String(i).padStart(3, '0')}` }),
    );
    await render(
      new FakeTenancyApi({
        clusters: { 'sandbox-a': { ...clusterA, namespaceDetails: many } },
      }),
    );
    expect(await screen.findByText('ns-049')).toBeInTheDocument();
    expect(screen.queryByText('ns-050')).not.toBeInTheDocument();
    expect(screen.getAllByText('1-50 of 500')[0]).toBeInTheDocument();
  }, 30_000);
});
