import { Entity } from '@backstage/catalog-model';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { screen } from '@testing-library/react';
import { tenancyApiRef } from '../../api';
import { clusterRouteRef } from '../../routes';
import { FakeTenancyApi, responseError } from '../../testing/fakeTenancyApi';
import { clusterA, namespace, paymentsTenant } from '../../testing/fixtures';
import { ClusterResourceCard } from './ClusterResourceCard';
import { NamespaceResourceCard } from './NamespaceResourceCard';

const PAYMENTS = 'group:default/team-payments';

/** The Resource the catalog module emits for payments in prod. */
const paymentsProd: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Resource',
  metadata: {
    name: 'payments.prod',
    annotations: {
      'tenancy.dev/namespace': 'payments',
      'tenancy.dev/environment': 'prod',
      'tenancy.dev/clusters': 'sandbox-b,sandbox-c',
    },
  },
  spec: { type: 'kubernetes-namespace', owner: 'group:default/team-payments' },
};

const sandboxA: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Resource',
  metadata: {
    name: 'sandbox-a',
    annotations: { 'tenancy.dev/cluster': 'sandbox-a' },
  },
  spec: { type: 'kubernetes-cluster', owner: 'group:default/platform-team' },
};

function render(entity: Entity, api: FakeTenancyApi, card: JSX.Element) {
  return renderInTestApp(
    <EntityProvider entity={entity}>{card}</EntityProvider>,
    {
      apis: [[tenancyApiRef, api]],
      mountedRoutes: {
        '/catalog/:namespace/:kind/:name': entityRouteRef,
        '/tenancy/clusters/:name': clusterRouteRef,
      },
    },
  );
}

describe('NamespaceResourceCard', () => {
  it('shows the namespace on each cluster of its environment, with quota bars, and no other namespace of the team', async () => {
    const api = new FakeTenancyApi({
      tenants: {
        [PAYMENTS]: {
          ...paymentsTenant,
          namespaces: [
            namespace({ name: 'payments' }), // dev: another entity
            namespace({
              name: 'payments',
              cluster: 'sandbox-b',
              environment: 'prod',
            }),
            namespace({
              name: 'payments',
              cluster: 'sandbox-c',
              environment: 'prod',
            }),
            namespace({
              name: 'payments-canary',
              cluster: 'sandbox-c',
              environment: 'prod',
            }),
          ],
          clusterErrors: [],
        },
      },
    });
    await render(paymentsProd, api, <NamespaceResourceCard />);
    expect(
      await screen.findByText('Namespace payments in prod'),
    ).toBeInTheDocument();
    expect(screen.getByText('on sandbox-b (prod)')).toBeInTheDocument();
    expect(screen.getByText('on sandbox-c (prod)')).toBeInTheDocument();
    expect(screen.queryByText('on sandbox-a (dev)')).not.toBeInTheDocument();
    expect(screen.queryByText('payments-canary')).not.toBeInTheDocument();
    // One quota bar per resource per cluster.
    expect(screen.getAllByText('pods')).toHaveLength(2);
    expect(api.calls).toEqual([`getTenant ${PAYMENTS}`]);
    // The day-2 templates, filled in for this namespace.
    const values = encodeURIComponent(
      JSON.stringify({
        tenant: PAYMENTS,
        namespace: 'payments',
        environment: 'prod',
      }),
    );
    expect(screen.getByRole('link', { name: 'Resize…' })).toHaveAttribute(
      'href',
      `/create/templates/default/resize-namespace?formData=${values}`,
    );
    expect(screen.getByRole('link', { name: 'Offboard…' })).toHaveAttribute(
      'href',
      `/create/templates/default/offboard-namespace?formData=${values}`,
    );
  });

  it('says plainly when the user may not see the team', async () => {
    const api = new FakeTenancyApi({
      tenants: {
        [PAYMENTS]: await responseError(
          403,
          'NotAllowedError',
          'You may not read group:default/team-payments',
        ),
      },
    });
    await render(paymentsProd, api, <NamespaceResourceCard />);
    expect(
      await screen.findByText("You don't have access to namespace payments"),
    ).toBeInTheDocument();
    expect(screen.queryByText('pods')).not.toBeInTheDocument();
  });
});

describe('ClusterResourceCard', () => {
  it("shows the cluster's facts and links to its page", async () => {
    const api = new FakeTenancyApi({ clusters: { 'sandbox-a': clusterA } });
    await render(sandboxA, api, <ClusterResourceCard />);
    expect(await screen.findByText('3 namespaces')).toBeInTheDocument();
    expect(screen.getByText('3 namespaces').closest('a')).toHaveAttribute(
      'href',
      '/tenancy/clusters/sandbox-a',
    );
  });
});
