import { renderInTestApp } from '@backstage/frontend-test-utils';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { tenancyApiRef } from '../../api';
import { tenantRouteRef } from '../../routes';
import { FakeTenancyApi, responseError } from '../../testing/fakeTenancyApi';
import {
  group,
  HOSTILE,
  namespace,
  paymentsClusterAccess,
  paymentsHealth,
  paymentsTenant,
  searchIndexerHealth,
} from '../../testing/fixtures';
import { TenantEntityContent, TenantPage } from './TenantPage';

const PAYMENTS = 'group:default/team-payments';

function render(api: FakeTenancyApi) {
  return renderInTestApp(
    <EntityProvider entity={group('team-payments')}>
      <TenantEntityContent />
    </EntityProvider>,
    {
      apis: [[tenancyApiRef, api]],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    },
  );
}

function matrix() {
  return within(screen.getByRole('table', { name: 'Namespaces by cluster' }));
}

/** The namespace names of the matrix's rows, in order. */
function rowNames() {
  return matrix()
    .getAllByRole('rowheader')
    .map(th => th.querySelector('.tm-name')?.textContent);
}

describe('Tenant page (the Tenancy tab of a Group)', () => {
  it('shows progress while the tenancy loads', async () => {
    await render(
      new FakeTenancyApi({
        tenants: { [PAYMENTS]: 'pending' },
        teamHealth: { [PAYMENTS]: 'pending' },
      }),
    );
    expect(
      await screen.findByRole('progressbar', { name: 'Loading' }),
    ).toBeInTheDocument();
  });

  it('shows one row per namespace and one column per cluster, with health and the tightest quota', async () => {
    const api = new FakeTenancyApi({
      tenants: { [PAYMENTS]: { ...paymentsTenant, clusterErrors: [] } },
      teamHealth: { [PAYMENTS]: paymentsHealth },
    });
    await render(api);
    await screen.findByRole('table', { name: 'Namespaces by cluster' });
    expect(api.calls.sort()).toEqual([
      `getClusterAccess ${PAYMENTS}`,
      `getTeamHealth ${PAYMENTS}`,
      `getTenant ${PAYMENTS}`,
    ]);
    // One row for `payments`, though it is on two clusters.
    expect(rowNames()).toEqual(['payments']);
    const headers = matrix()
      .getAllByRole('columnheader')
      .map(h => h.textContent);
    expect(headers).toEqual([
      'Namespace',
      'dev',
      'prod',
      'Policies',
      'sandbox-a',
      'sandbox-c',
    ]);
    // pods 19/20 is the tightest resource, and stands out.
    const dev = matrix().getByRole('button', {
      name: /^payments on sandbox-a:\s*Healthy\s*,\s*▲ pods 95%\s*of quota$/,
    });
    expect(within(dev).getByText('▲ pods 95%')).toBeInTheDocument();
    expect(
      matrix().getByRole('button', {
        name: /^payments on sandbox-c:\s*Degraded\s*,\s*▲ pods 95%\s*of quota$/,
      }),
    ).toBeInTheDocument();
    expect(matrix().getByText('LimitRange · default-deny')).toBeInTheDocument();
    expect(screen.getByRole('status')).toHaveTextContent(
      '1 of 1 namespaces on 2 clusters',
    );
  });

  it('opens a cell to every quota bar, the policies and role bindings of that namespace on that cluster', async () => {
    await render(
      new FakeTenancyApi({
        tenants: { [PAYMENTS]: { ...paymentsTenant, clusterErrors: [] } },
        teamHealth: { [PAYMENTS]: paymentsHealth },
      }),
    );
    const cell = await screen.findByRole('button', {
      name: /^payments on sandbox-c:/,
    });
    expect(
      screen.queryByRole('region', { name: 'payments on sandbox-c' }),
    ).not.toBeInTheDocument();
    await userEvent.click(cell);
    expect(cell).toHaveAttribute('aria-expanded', 'true');
    const detail = within(
      screen.getByRole('region', { name: 'payments on sandbox-c' }),
    );
    expect(
      detail.getByRole('progressbar', { name: 'limits.cpu: 2 of 8 used' }),
    ).toHaveAttribute('aria-valuenow', '25');
    expect(
      detail.getByRole('progressbar', { name: 'pods: 19 of 20 used' }),
    ).toHaveAttribute('aria-valuenow', '95');
    expect(
      detail.getByText('NetworkPolicy ×2 · default deny'),
    ).toBeInTheDocument();
    expect(
      detail.getByText(
        'tenant-developers → ClusterRole/tenancy-tenant-developer',
      ),
    ).toBeInTheDocument();
    expect(detail.getByText('1 / 2 workloads healthy')).toBeInTheDocument();
    // The day-2 templates, filled in for this namespace in its environment.
    const formData = (link: HTMLElement) =>
      JSON.parse(
        new URL(link.getAttribute('href')!, 'http://x').searchParams.get(
          'formData',
        )!,
      );
    const resize = detail.getByRole('link', { name: 'Resize in prod…' });
    expect(resize.getAttribute('href')).toMatch(
      /^\/create\/templates\/default\/resize-namespace\?formData=/,
    );
    expect(formData(resize)).toEqual({
      tenant: PAYMENTS,
      namespace: 'payments',
      environment: 'prod',
    });
    const offboard = detail.getByRole('link', { name: 'Offboard from prod…' });
    expect(offboard.getAttribute('href')).toMatch(
      /^\/create\/templates\/default\/offboard-namespace\?/,
    );
    expect(formData(offboard)).toEqual(formData(resize));
    await userEvent.click(cell);
    expect(
      screen.queryByRole('region', { name: 'payments on sandbox-c' }),
    ).not.toBeInTheDocument();
  });

  it('filters by name, sorts by health or quota, and narrows to what needs attention', async () => {
    const ns = (name: string, ratio: number, state: 'healthy' | 'failing') =>
      namespace({
        name,
        quota: [
          {
            resource: 'requests.cpu',
            hard: '10',
            used: String(ratio * 10),
            ratio,
          },
        ],
        workloads: { total: 1, healthy: state === 'healthy' ? 1 : 0, state },
      });
    await render(
      new FakeTenancyApi({
        tenants: {
          [PAYMENTS]: {
            ...paymentsTenant,
            clusterErrors: [],
            namespaces: [
              ns('alpha', 0.1, 'healthy'),
              ns('bravo', 0.9, 'healthy'),
              ns('charlie', 0.5, 'failing'),
              ns('delta', 0.2, 'healthy'),
            ],
          },
        },
        teamHealth: { [PAYMENTS]: paymentsHealth },
      }),
    );
    await screen.findByRole('table', { name: 'Namespaces by cluster' });
    // Health, worst first, is the default.
    expect(rowNames()).toEqual(['charlie', 'alpha', 'bravo', 'delta']);

    await userEvent.click(screen.getByRole('combobox', { name: 'Sort by' }));
    await userEvent.click(
      screen.getByRole('option', { name: 'Quota use (fullest first)' }),
    );
    expect(rowNames()).toEqual(['bravo', 'charlie', 'delta', 'alpha']);
    expect(
      matrix().getByRole('button', { name: /^bravo on sandbox-a/ }),
    ).toHaveTextContent('▲ requests.cpu 90%');
    expect(
      matrix().getByRole('button', { name: /^delta on sandbox-a/ }),
    ).toHaveTextContent(
      /^delta on sandbox-a:\s*Healthy,\s*requests\.cpu 20%\s*of quota$/,
    );

    await userEvent.click(
      screen.getByRole('checkbox', { name: 'Needs attention only' }),
    );
    expect(rowNames()).toEqual(['bravo', 'charlie']);
    expect(screen.getByRole('status')).toHaveTextContent(
      '2 of 4 namespaces on 1 cluster',
    );

    await userEvent.type(
      screen.getByRole('textbox', { name: 'Filter namespaces' }),
      'char',
    );
    expect(rowNames()).toEqual(['charlie']);
    await userEvent.type(
      screen.getByRole('textbox', { name: 'Filter namespaces' }),
      'x',
    );
    expect(screen.getByText('No namespace matches.')).toBeInTheDocument();
  });

  it('pages a large team: 50 rows at a time', async () => {
    const namespaces = Array.from({ length: 120 }, (_, i) =>
      namespace({ name: `ns-${String(i).padStart(3, '0')}` }),
    );
    await render(
      new FakeTenancyApi({
        tenants: {
          [PAYMENTS]: { ...paymentsTenant, clusterErrors: [], namespaces },
        },
        teamHealth: { [PAYMENTS]: paymentsHealth },
      }),
    );
    await screen.findByRole('table', { name: 'Namespaces by cluster' });
    expect(rowNames()).toHaveLength(50);
    expect(screen.getByText('1–50 of 120')).toBeInTheDocument();
    await userEvent.click(
      screen.getByRole('button', { name: 'Go to next page' }),
    );
    expect(rowNames()[0]).toBe('ns-050');
  });

  it('shows AWS accounts as a table: state, OU, environment, cost centre and the console', async () => {
    await render(
      new FakeTenancyApi({
        tenants: { [PAYMENTS]: paymentsTenant },
        teamHealth: { [PAYMENTS]: paymentsHealth },
      }),
    );
    const table = within(
      await screen.findByRole('table', { name: 'AWS accounts' }),
    );
    const rows = table.getAllByRole('row').map(r => r.textContent);
    expect(rows).toEqual([
      'AccountIDStateOUEnvironmentCost centreConsoleActions',
      'Payments (dev)123456789012ACTIVEDevdevCC-1001OpenClose…',
      'Payments (legacy)210987654321SUSPENDEDSuspendedprod———',
    ]);
    // Only an active account can be closed: the template, filled in.
    const close = table.getByRole('link', { name: 'Close Payments (dev)…' });
    expect(close).toHaveAttribute(
      'href',
      `/create/templates/default/close-aws-account?formData=${encodeURIComponent(
        JSON.stringify({ tenant: PAYMENTS, accountId: '123456789012' }),
      )}`,
    );
    expect(
      table.queryByRole('link', { name: /^Close Payments \(legacy\)/ }),
    ).not.toBeInTheDocument();
    expect(table.getByRole('link', { name: 'Payments (dev)' })).toHaveAttribute(
      'href',
      '/catalog/default/resource/payments-dev',
    );
    const console = table.getByRole('link', {
      name: 'Open Payments (dev) in the AWS console (new tab)',
    });
    expect(console).toHaveAttribute(
      'href',
      'https://us-east-1.console.aws.amazon.com/organizations/v2/home/accounts/123456789012',
    );
    expect(console).toHaveAttribute('rel', 'noopener noreferrer');
    // A suspended account never looks like an active one.
    // (Backstage's theme prefixes MUI 5 class names with `v5-`.)
    expect(
      table.getByText('SUSPENDED').closest('[class*=MuiChip-root]')!.className,
    ).toMatch(/MuiChip-colorError/);
    expect(
      table.getByText('ACTIVE').closest('[class*=MuiChip-root]')!.className,
    ).toMatch(/MuiChip-colorSuccess/);
  });

  it('links the health of what the team owns, and opens an unhealthy service’s workloads', async () => {
    const api = new FakeTenancyApi({
      tenants: { [PAYMENTS]: paymentsTenant },
      teamHealth: {
        [PAYMENTS]: {
          ...paymentsHealth,
          entities: [
            ...paymentsHealth.entities,
            {
              entityRef: 'component:default/search-indexer',
              title: 'search-indexer',
              state: 'failing',
              clusters: 2,
            },
          ],
        },
      },
      entityHealth: {
        'component:default/search-indexer': searchIndexerHealth,
      },
    });
    await render(api);
    expect(
      await screen.findByRole('link', { name: 'ledger-worker' }),
    ).toHaveAttribute(
      'href',
      '/catalog/default/component/ledger-worker/health',
    );
    expect(screen.getByRole('link', { name: 'payments-api' })).toHaveAttribute(
      'href',
      '/catalog/default/component/payments-api/health',
    );
    expect(screen.getByText('1 failing')).toBeInTheDocument();
    expect(screen.getByText('1 degraded')).toBeInTheDocument();
    expect(screen.getByText('1 healthy')).toBeInTheDocument();
    // Only unhealthy services can be troubleshot; healthy ones have nothing to open.
    expect(
      screen.queryByRole('button', {
        name: /payments-api/,
      }),
    ).not.toBeInTheDocument();
    await userEvent.click(
      screen.getByRole('button', {
        name: 'Troubleshoot search-indexer',
      }),
    );
    expect(
      await screen.findByRole('button', {
        name: 'Pods & logs of search-indexer on sandbox-a',
      }),
    ).toBeInTheDocument();
    expect(api.calls).toContain(
      'getEntityHealth component:default/search-indexer',
    );
  });

  it('lists the clusters that could not be read beside the namespaces it could', async () => {
    await render(
      new FakeTenancyApi({
        tenants: { [PAYMENTS]: paymentsTenant },
        teamHealth: { [PAYMENTS]: paymentsHealth },
      }),
    );
    expect(
      await screen.findByText(/1 cluster could not be read/),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'timeout: the API server did not answer within 10000 ms',
      ),
    ).toBeInTheDocument();
    // Its column says so, rather than showing the namespace as absent.
    expect(matrix().getByText('sandbox-b ⚠')).toBeInTheDocument();
    expect(matrix().getByText('not read')).toBeInTheDocument();
    expect(rowNames()).toEqual(['payments']);
  });

  it('keeps the namespaces when only the health rollup fails', async () => {
    await render(
      new FakeTenancyApi({
        tenants: { [PAYMENTS]: paymentsTenant },
        teamHealth: {
          [PAYMENTS]: await responseError(500, 'Error', 'catalog unavailable'),
        },
      }),
    );
    await screen.findByRole('table', { name: 'Namespaces by cluster' });
    expect(rowNames()).toEqual(['payments']);
    expect(
      screen.getByText(
        /Could not load the health of the team's services: catalog unavailable/,
      ),
    ).toBeInTheDocument();
  });

  it('says what to do when the team has no namespaces, accounts or components', async () => {
    await render(
      new FakeTenancyApi({
        tenants: {
          [PAYMENTS]: {
            ...paymentsTenant,
            namespaces: [],
            accounts: [],
            clusterErrors: [],
          },
        },
        teamHealth: { [PAYMENTS]: { ...paymentsHealth, entities: [] } },
      }),
    );
    expect(
      await screen.findByText('No namespaces for this team'),
    ).toBeInTheDocument();
    expect(screen.getByText(/Onboard a team namespace/)).toBeInTheDocument();
    expect(
      screen.getByText(/No AWS accounts for this team/),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/This team owns no Components/),
    ).toBeInTheDocument();
  });

  it('says plainly that the user has no access to the team', async () => {
    const forbidden = await responseError(
      403,
      'NotAllowedError',
      'You may not read group:default/team-payments: only its members and the platform team may',
    );
    await render(
      new FakeTenancyApi({
        tenants: { [PAYMENTS]: forbidden },
        teamHealth: { [PAYMENTS]: forbidden },
      }),
    );
    expect(
      await screen.findByText(
        "You don't have access to the tenancy of group:default/team-payments",
      ),
    ).toBeInTheDocument();
    expect(
      screen.queryByText(/Health of what the team owns/),
    ).not.toBeInTheDocument();
    // No second "no access" from the cluster access card.
    expect(screen.queryByText('Cluster access')).not.toBeInTheDocument();
  });

  it("gives the team's kubectl access below its namespaces", async () => {
    const api = new FakeTenancyApi({
      tenants: { [PAYMENTS]: { ...paymentsTenant, clusterErrors: [] } },
      teamHealth: { [PAYMENTS]: paymentsHealth },
      clusterAccess: { [PAYMENTS]: paymentsClusterAccess },
    });
    await render(api);
    const contexts = await screen.findByTestId('cluster-access-contexts');
    expect(
      within(contexts)
        .getAllByRole('rowheader')
        .map(th => th.textContent),
    ).toEqual(['sandbox-a/payments', 'sandbox-c/payments']);
    expect(
      screen.getByTestId('cluster-access-install-command'),
    ).toHaveTextContent(paymentsClusterAccess.installCommand);
    // After the matrix in the page's order.
    expect(
      screen
        .getByRole('table', { name: 'Namespaces by cluster' })
        .compareDocumentPosition(contexts) & Node.DOCUMENT_POSITION_FOLLOWING,
    ).toBeTruthy();
    expect(api.calls).toContain(`getClusterAccess ${PAYMENTS}`);
  });

  it('renders hostile names and role binding subjects as text', async () => {
    await render(
      new FakeTenancyApi({
        tenants: {
          [PAYMENTS]: {
            ...paymentsTenant,
            namespaces: [
              namespace({
                name: HOSTILE,
                roleBindings: [
                  { name: HOSTILE, role: HOSTILE, subjects: [HOSTILE] },
                ],
              }),
            ],
            accounts: [
              {
                entityRef: 'resource:default/x',
                title: HOSTILE,
                organizationalUnit: HOSTILE,
                costCentre: HOSTILE,
                // eslint-disable-next-line no-script-url
                consoleUrl: 'javascript:alert(1)',
              },
            ],
            clusterErrors: [
              { cluster: HOSTILE, error: { kind: 'error', message: HOSTILE } },
            ],
          },
        },
        teamHealth: {
          [PAYMENTS]: {
            ...paymentsHealth,
            entities: [
              {
                entityRef: 'component:default/x',
                title: HOSTILE,
                state: 'failing',
                clusters: 1,
              },
            ],
          },
        },
      }),
    );
    await userEvent.click(
      await screen.findByRole('button', {
        name: new RegExp(`^${HOSTILE.replace(/[()]/g, '\\$&')} on sandbox-a`),
      }),
    );
    expect(screen.getByText(`${HOSTILE} → ${HOSTILE}`)).toBeInTheDocument();
    expect(screen.getAllByText(HOSTILE).length).toBeGreaterThanOrEqual(5);
    expect(document.querySelector('img[src="x"]')).toBeNull();
    // A console link that is not https is not a link.
    expect(
      screen.queryByRole('link', { name: /in the AWS console/ }),
    ).not.toBeInTheDocument();
  });
});

describe('Tenant page (standalone)', () => {
  it('reads the team from the URL', async () => {
    const api = new FakeTenancyApi({
      tenants: { [PAYMENTS]: paymentsTenant },
      teamHealth: { [PAYMENTS]: paymentsHealth },
    });
    await renderInTestApp(<TenantPage />, {
      apis: [[tenancyApiRef, api]],
      mountPath: '/tenancy/tenants/:namespace/:name',
      initialRouteEntries: ['/tenancy/tenants/default/team-payments'],
      mountedRoutes: {
        '/tenancy/tenants/:namespace/:name': tenantRouteRef,
        '/catalog/:namespace/:kind/:name': entityRouteRef,
      },
    });
    expect(await screen.findByText('Team team-payments')).toBeInTheDocument();
    await screen.findByRole('table', { name: 'Namespaces by cluster' });
    expect(rowNames()).toEqual(['payments']);
    expect(api.calls).toContain(`getTenant ${PAYMENTS}`);
  });
});
