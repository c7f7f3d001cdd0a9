import { renderInTestApp } from '@backstage/frontend-test-utils';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { tenancyApiRef } from '../../api';
import { clusterRouteRef, rootRouteRef } from '../../routes';
import { FakeTenancyApi, responseError } from '../../testing/fakeTenancyApi';
import { fleet, HOSTILE } from '../../testing/fixtures';
import { FleetPage } from './FleetPage';

function render(api: FakeTenancyApi) {
  return renderInTestApp(<FleetPage />, {
    apis: [[tenancyApiRef, api]],
    mountedRoutes: {
      '/tenancy/fleet': rootRouteRef,
      '/tenancy/clusters/:name': clusterRouteRef,
    },
  });
}

function rowOf(name: string) {
  const row = screen.getByRole('link', { name }).closest('tr');
  if (!row) throw new Error(`no row for ${name}`);
  return within(row);
}

describe('FleetPage', () => {
  it('shows progress while the fleet loads', async () => {
    await render(new FakeTenancyApi({ fleet: 'pending' }));
    expect(
      await screen.findByRole('progressbar', { name: 'Loading' }),
    ).toBeInTheDocument();
    expect(screen.getByText('Loading…')).toBeInTheDocument();
  });

  it('shows one row per cluster with its facts and a link to its page', async () => {
    await render(new FakeTenancyApi({ fleet }));
    expect(
      await screen.findByRole('heading', { name: '3 clusters' }),
    ).toBeInTheDocument();

    const a = rowOf('sandbox-a');
    expect(a.getByText('dev')).toBeInTheDocument();
    expect(a.getByText('v1.34.4')).toBeInTheDocument();
    expect(a.getByText('Reachable · 12 ms')).toBeInTheDocument();
    expect(a.getByText('2 / 2 ready')).toBeInTheDocument();
    expect(a.getByText('14')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'sandbox-a' })).toHaveAttribute(
      'href',
      '/tenancy/clusters/sandbox-a',
    );
    expect(rowOf('sandbox-c').getByText('1 / 2 ready')).toBeInTheDocument();
    expect(screen.getByText(/Updated \d+ s ago/)).toBeInTheDocument();
  });

  it("shows an unreachable cluster's error in its row while the others render", async () => {
    await render(new FakeTenancyApi({ fleet }));
    const b = await screen.findByRole('link', { name: 'sandbox-b' });
    const row = within(b.closest('tr')!);
    expect(row.getByText('Unreachable')).toBeInTheDocument();
    expect(
      row.getByText('timeout: the API server did not answer within 10000 ms'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/1 of 3 clusters could not be read/),
    ).toBeInTheDocument();
    expect(
      rowOf('sandbox-a').getByText('Reachable · 12 ms'),
    ).toBeInTheDocument();
  });

  it('sorts by a column and filters with the search box', async () => {
    await render(new FakeTenancyApi({ fleet }));
    await screen.findByRole('heading', { name: '3 clusters' });
    const names = () =>
      screen
        .getAllByRole('link', { name: /^sandbox-/ })
        .map(link => link.textContent);

    // The header's sort label (the inner button is its drag handle).
    const sortBy = (column: string) =>
      userEvent.click(screen.getAllByRole('button', { name: column })[0]);

    await sortBy('Namespaces');
    expect(names()).toEqual(['sandbox-b', 'sandbox-c', 'sandbox-a']);
    await sortBy('Namespaces');
    expect(names()).toEqual(['sandbox-a', 'sandbox-c', 'sandbox-b']);
    // By latency, unreachable last (the table keeps the direction it had).
    await sortBy('Reachability');
    expect([
      ['sandbox-a', 'sandbox-c', 'sandbox-b'],
      ['sandbox-b', 'sandbox-c', 'sandbox-a'],
    ]).toContainEqual(names());

    await userEvent.type(screen.getByPlaceholderText('Filter'), 'prod');
    await waitFor(() => expect(names()).toHaveLength(2));
    expect(names()).not.toContain('sandbox-a');
  });

  it('says what to do when there are no clusters', async () => {
    await render(
      new FakeTenancyApi({
        fleet: { clusters: [], generatedAt: fleet.generatedAt },
      }),
    );
    expect(await screen.findByText('No clusters yet')).toBeInTheDocument();
    expect(
      screen.getByText(/kubernetes.clusterLocatorMethods/),
    ).toBeInTheDocument();
  });

  it('says plainly that the user has no access, without a stack', async () => {
    await render(
      new FakeTenancyApi({
        fleet: await responseError(
          403,
          'NotAllowedError',
          'The fleet view is for the platform team (tenancy.fleet.read)',
        ),
      }),
    );
    expect(
      await screen.findByText("You don't have access to the fleet view"),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'The fleet view is for the platform team (tenancy.fleet.read). Ask the platform team if you need it.',
      ),
    ).toBeInTheDocument();
    expect(screen.queryByText(/at .*\.js/)).not.toBeInTheDocument();
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
  });

  it('shows a server error with its message', async () => {
    await render(
      new FakeTenancyApi({
        fleet: await responseError(500, 'Error', 'snapshot store unavailable'),
      }),
    );
    expect(
      await screen.findByText(
        /Could not load the fleet view: snapshot store unavailable/,
      ),
    ).toBeVisible();
  });

  it('renders hostile cluster errors as text', async () => {
    await render(
      new FakeTenancyApi({
        fleet: {
          ...fleet,
          clusters: [
            {
              ...fleet.clusters[1],
              error: { kind: 'error', message: HOSTILE },
            },
          ],
        },
      }),
    );
    expect(await screen.findByText(`error: ${HOSTILE}`)).toBeInTheDocument();
    expect(document.querySelector('img[src="x"]')).toBeNull();
  });

  it('refreshes on request and keeps the data when a refresh fails', async () => {
    const api = new FakeTenancyApi({ fleet });
    await render(api);
    await screen.findByRole('heading', { name: '3 clusters' });
    api.fleet = await responseError(502, 'Error', 'backend restarting');
    await userEvent.click(screen.getByRole('button', { name: 'Refresh' }));
    expect(await screen.findByText(/Could not refresh/)).toBeInTheDocument();
    expect(screen.getByText('backend restarting')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'sandbox-a' })).toBeInTheDocument();
    expect(api.calls).toEqual(['getFleet', 'getFleet']);
  });
});
