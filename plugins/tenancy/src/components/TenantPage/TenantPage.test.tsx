import { renderInTestApp } from '@backstage/frontend-test-utils';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { screen, within } from '@testing-library/react';
import { tenancyApiRef } from '../../api';
import { tenantRouteRef } from '../../routes';
import { FakeTenancyApi, responseError } from '../../testing/fakeTenancyApi';
import {
  group,
  HOSTILE,
  namespace,
  paymentsHealth,
  paymentsTenant,
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

function card(title: string, subheader: string) {
  const heading = screen
    .getAllByText(title, { exact: true })
    .find(el => el.closest('.MuiCard-root')?.textContent?.includes(subheader));
  const root = heading?.closest('.MuiCard-root');
  if (!root) throw new Error(`no card ${title} ${subheader}`);
  return within(root as HTMLElement);
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

  it('shows namespaces with quota bars and badges, role bindings, AWS accounts and the health rollup', async () => {
    const api = new FakeTenancyApi({
      tenants: { [PAYMENTS]: { ...paymentsTenant, clusterErrors: [] } },
      teamHealth: { [PAYMENTS]: paymentsHealth },
    });
    await render(api);
    expect(await screen.findByText('on sandbox-a (dev)')).toBeInTheDocument();
    expect(api.calls.sort()).toEqual([
      `getTeamHealth ${PAYMENTS}`,
      `getTenant ${PAYMENTS}`,
    ]);

    const dev = card('payments', 'on sandbox-a (dev)');
    expect(
      dev.getByRole('progressbar', { name: 'limits.cpu: 2 of 8 used' }),
    ).toHaveAttribute('aria-valuenow', '25');
    expect(
      dev.getByRole('progressbar', { name: 'pods: 19 of 20 used' }),
    ).toHaveAttribute('aria-valuenow', '95');
    expect(
      dev.getByRole('progressbar', {
        name: 'requests.memory: 1Gi of 8Gi used',
      }),
    ).toBeInTheDocument();
    expect(dev.getByText('LimitRange')).toBeInTheDocument();
    expect(
      dev.getByText('NetworkPolicy ×2 · default deny'),
    ).toBeInTheDocument();
    expect(
      dev.getByText('tenant-developers → ClusterRole/tenancy-tenant-developer'),
    ).toBeInTheDocument();
    expect(dev.getByText('Group:team-payments')).toBeInTheDocument();
    expect(dev.getByText('Healthy')).toBeInTheDocument();

    const prod = card('payments', 'on sandbox-c (prod)');
    expect(prod.getByText('Degraded')).toBeInTheDocument();
    expect(prod.getByText('1 / 2 workloads healthy')).toBeInTheDocument();

    expect(
      screen.getByRole('link', { name: /Payments \(dev\)/ }),
    ).toHaveAttribute('href', '/catalog/default/resource/payments-dev');
    expect(screen.getByText('Account 123456789012')).toBeInTheDocument();

    expect(screen.getByRole('link', { name: 'ledger-worker' })).toHaveAttribute(
      'href',
      '/catalog/default/component/ledger-worker/health',
    );
    expect(screen.getByRole('link', { name: 'payments-api' })).toHaveAttribute(
      'href',
      '/catalog/default/component/payments-api/health',
    );
    expect(screen.getByText('1 degraded')).toBeInTheDocument();
    expect(screen.getByText('1 healthy')).toBeInTheDocument();
    expect(screen.queryByText(/could not be read/)).not.toBeInTheDocument();
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
    expect(screen.getByText('sandbox-b')).toBeInTheDocument();
    expect(
      screen.getByText(
        'timeout: the API server did not answer within 10000 ms',
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('on sandbox-a (dev)')).toBeInTheDocument();
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
    expect(await screen.findByText('on sandbox-a (dev)')).toBeInTheDocument();
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
    expect(
      await screen.findByText(`${HOSTILE} → ${HOSTILE}`),
    ).toBeInTheDocument();
    expect(screen.getAllByText(HOSTILE).length).toBeGreaterThanOrEqual(4);
    expect(document.querySelector('img[src="x"]')).toBeNull();
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
    expect(await screen.findByText('on sandbox-a (dev)')).toBeInTheDocument();
    expect(api.calls).toContain(`getTenant ${PAYMENTS}`);
  });
});
