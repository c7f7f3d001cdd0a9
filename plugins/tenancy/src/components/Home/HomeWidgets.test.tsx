import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { scaffolderApiRef } from '@backstage/plugin-scaffolder-react';
import { screen, within } from '@testing-library/react';
import { tenancyApiRef } from '../../api';
import { tenantRouteRef } from '../../routes';
import { FakeTenancyApi, responseError } from '../../testing/fakeTenancyApi';
import {
  namespace,
  paymentsHealth,
  paymentsTenant,
} from '../../testing/fixtures';
import {
  CreateActionsContent,
  FailingServicesContent,
  MyTeamsContent,
  RecentTasksContent,
  TightestQuotaContent,
} from './HomeWidgets';
import { myTeamRefs } from './useMyTenancy';

const PAYMENTS = 'group:default/team-payments';
const SEARCH = 'group:default/team-search';

const alice = mockApis.identity({
  userEntityRef: 'user:default/alice',
  ownershipEntityRefs: ['user:default/alice', PAYMENTS, SEARCH],
});

function render(element: JSX.Element, api: FakeTenancyApi, extra: any[] = []) {
  return renderInTestApp(element, {
    apis: [[tenancyApiRef, api], alice, ...extra],
    mountedRoutes: {
      '/catalog/:namespace/:kind/:name': entityRouteRef,
      '/tenancy/tenants/:namespace/:name': tenantRouteRef,
    },
  });
}

const searchDown = {
  team: SEARCH,
  generatedAt: paymentsHealth.generatedAt,
  entities: [
    {
      entityRef: 'component:default/search-indexer',
      title: 'search-indexer',
      state: 'failing' as const,
      clusters: 2,
    },
  ],
};

function bothTeams() {
  return new FakeTenancyApi({
    tenants: {
      [PAYMENTS]: paymentsTenant,
      [SEARCH]: {
        ...paymentsTenant,
        tenant: SEARCH,
        accounts: [],
        clusterErrors: [],
        namespaces: [
          namespace({
            name: 'search',
            tenant: SEARCH,
            quota: [{ resource: 'pods', hard: '10', used: '10', ratio: 1 }],
          }),
        ],
      },
    },
    teamHealth: { [PAYMENTS]: paymentsHealth, [SEARCH]: searchDown },
  });
}

describe('developer home widgets', () => {
  it('finds the person’s teams among their ownership refs', async () => {
    await expect(
      myTeamRefs({
        getBackstageIdentity: async () => ({
          ownershipEntityRefs: [
            'user:default/alice',
            'group:default/team-search',
            'Group:default/team-payments',
            'not a ref:',
          ],
        }),
      }),
    ).resolves.toEqual([PAYMENTS, SEARCH]);
  });

  it('My teams: each team’s namespaces, clusters and service health, linked to its page', async () => {
    const api = bothTeams();
    await render(<MyTeamsContent />, api);
    const list = within(
      await screen.findByRole('list', { name: 'Your teams' }),
    );
    expect(list.getByRole('link', { name: 'team-payments' })).toHaveAttribute(
      'href',
      '/tenancy/tenants/default/team-payments',
    );
    expect(
      list.getByText('1 namespace on 2 clusters · 2 services'),
    ).toBeInTheDocument();
    expect(list.getByText('1 failing')).toBeInTheDocument();
    expect(api.calls.sort()).toEqual([
      `getTeamHealth ${PAYMENTS}`,
      `getTeamHealth ${SEARCH}`,
      `getTenant ${PAYMENTS}`,
      `getTenant ${SEARCH}`,
    ]);
  });

  it('My teams: one team that cannot be read does not hide the others', async () => {
    const api = bothTeams();
    const denied = await responseError(403, 'NotAllowedError', 'no');
    api.tenants[SEARCH] = denied;
    api.teamHealth[SEARCH] = denied;
    await render(<MyTeamsContent />, api);
    const list = within(
      await screen.findByRole('list', { name: 'Your teams' }),
    );
    expect(list.getByText(/Could not be read/)).toBeInTheDocument();
    expect(
      list.getByText('1 namespace on 2 clusters · 2 services'),
    ).toBeInTheDocument();
  });

  it('reads each team once for all the widgets on the page, not once per widget', async () => {
    const api = bothTeams();
    await render(
      <>
        <MyTeamsContent />
        <FailingServicesContent />
        <TightestQuotaContent />
      </>,
      api,
    );
    await screen.findByRole('list', { name: 'Failing services' });
    await screen.findByRole('list', { name: 'Namespaces by quota use' });
    expect(api.calls.sort()).toEqual([
      `getTeamHealth ${PAYMENTS}`,
      `getTeamHealth ${SEARCH}`,
      `getTenant ${PAYMENTS}`,
      `getTenant ${SEARCH}`,
    ]);
  });

  it('Failing services: only failing or degraded ones, worst first, linked to their Health tab', async () => {
    await render(<FailingServicesContent />, bothTeams());
    const list = within(
      await screen.findByRole('list', { name: 'Failing services' }),
    );
    expect(list.getAllByRole('link').map(a => a.textContent)).toEqual([
      'search-indexer',
      'ledger-worker',
    ]);
    expect(list.getByRole('link', { name: 'search-indexer' })).toHaveAttribute(
      'href',
      '/catalog/default/component/search-indexer/health',
    );
  });

  it('Quota closest to full: the fullest namespaces first', async () => {
    await render(<TightestQuotaContent />, bothTeams());
    const list = within(
      await screen.findByRole('list', { name: 'Namespaces by quota use' }),
    );
    expect(
      list
        .getAllByRole('listitem')
        .map(li => li.querySelector('span')?.textContent),
    ).toEqual([
      'search on sandbox-a',
      'payments on sandbox-a',
      'payments on sandbox-c',
    ]);
    expect(
      list.getByRole('progressbar', { name: 'pods: 10 of 10 used' }),
    ).toHaveAttribute('aria-valuenow', '100');
  });

  it('Quota closest to full: three fit the card, the rest are counted', async () => {
    const api = bothTeams();
    const search = (await api.getTenant(SEARCH)) as any;
    for (const n of [1, 2]) {
      search.namespaces.push(
        namespace({
          name: `search-${n}`,
          tenant: SEARCH,
          quota: [{ resource: 'pods', hard: '10', used: '1', ratio: 0.1 }],
        }),
      );
    }
    await render(<TightestQuotaContent />, api);
    const list = within(
      await screen.findByRole('list', { name: 'Namespaces by quota use' }),
    );
    expect(list.getAllByRole('progressbar')).toHaveLength(3);
    expect(
      list.getByText('2 more with a quota: see the team pages'),
    ).toBeInTheDocument();
  });

  it('says so to someone in no team', async () => {
    await renderInTestApp(<FailingServicesContent />, {
      apis: [
        [tenancyApiRef, new FakeTenancyApi()],
        mockApis.identity({ ownershipEntityRefs: ['user:default/pat'] }),
      ],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    });
    expect(
      await screen.findByText(/You are not a member of any team/),
    ).toBeInTheDocument();
  });

  it('My recent tasks: the person’s own tasks with their template and status', async () => {
    const listTasks = jest.fn(async () => ({
      tasks: [
        {
          id: 'task-1',
          status: 'failed',
          createdAt: new Date().toISOString(),
          spec: {
            templateInfo: {
              entityRef: 'template:default/request-aws-account',
              entity: {
                metadata: {
                  name: 'request-aws-account',
                  title: 'Request an AWS account',
                },
              },
            },
          },
        },
        {
          id: 'task-2',
          status: 'completed',
          createdAt: new Date().toISOString(),
          spec: {
            templateInfo: { entityRef: 'template:default/create-service' },
          },
        },
      ],
    }));
    await render(<RecentTasksContent />, new FakeTenancyApi(), [
      [scaffolderApiRef, { listTasks }],
    ]);
    const list = within(
      await screen.findByRole('list', { name: 'Recent tasks' }),
    );
    expect(
      list.getByRole('link', { name: 'Request an AWS account' }),
    ).toHaveAttribute('href', '/create/tasks/task-1');
    expect(
      list.getByRole('link', { name: 'create-service' }),
    ).toBeInTheDocument();
    expect(list.getByText('failed')).toBeInTheDocument();
    expect(listTasks).toHaveBeenCalledWith({
      filterByOwnership: 'owned',
      limit: 5,
    });
  });

  it('Create: the three templates developers start from', async () => {
    await renderInTestApp(<CreateActionsContent />);
    expect(
      screen
        .getAllByRole('link')
        .map(a => [a.textContent, a.getAttribute('href')]),
    ).toEqual([
      ['Create service', '/create/templates/default/create-service'],
      ['Onboard namespace', '/create/templates/default/onboard-tenant'],
      ['Request AWS account', '/create/templates/default/request-aws-account'],
    ]);
  });
});
