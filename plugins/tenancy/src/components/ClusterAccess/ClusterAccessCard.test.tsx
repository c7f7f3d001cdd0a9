import { Entity } from '@backstage/catalog-model';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { tenancyApiRef } from '../../api';
import { FakeTenancyApi, responseError } from '../../testing/fakeTenancyApi';
import {
  HOSTILE,
  paymentsClusterAccess,
  paymentsKubeconfig,
  timeoutError,
} from '../../testing/fixtures';
import { ClusterAccessCard } from './ClusterAccessCard';
import { ClusterAccessEntityCard } from './ClusterAccessEntityCard';

const PAYMENTS = 'group:default/team-payments';

/** The fixture without unreadable clusters. */
const allReadable: typeof paymentsClusterAccess = {
  ...paymentsClusterAccess,
  clusterErrors: [],
};

function render(api: FakeTenancyApi, card: JSX.Element) {
  return renderInTestApp(card, { apis: [[tenancyApiRef, api]] });
}

function contextsTable() {
  return within(screen.getByTestId('cluster-access-contexts'));
}

describe('ClusterAccessCard', () => {
  it('shows progress while the kubeconfig loads', async () => {
    await render(
      new FakeTenancyApi({ clusterAccess: { [PAYMENTS]: 'pending' } }),
      <ClusterAccessCard groupRef={PAYMENTS} />,
    );
    expect(
      await screen.findByRole('progressbar', { name: 'Loading' }),
    ).toBeInTheDocument();
    expect(
      screen.queryByTestId('cluster-access-contexts'),
    ).not.toBeInTheDocument();
  });

  it('shows the install command, one row per context and a kubectl example; the kubeconfig on demand', async () => {
    const user = userEvent.setup();
    const api = new FakeTenancyApi({
      clusterAccess: { [PAYMENTS]: allReadable },
    });
    await render(api, <ClusterAccessCard groupRef={PAYMENTS} />);

    const install = await screen.findByTestId('cluster-access-install-command');
    expect(api.calls).toEqual([`getClusterAccess ${PAYMENTS}`]);
    expect(screen.getByText('Cluster access')).toBeInTheDocument();
    expect(
      screen.getByText(
        'kubectl signs you in through this portal as yourself; your teams are your Kubernetes groups. Tokens last at most an hour and are refreshed on use.',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('heading', { name: 'Install' }),
    ).toBeInTheDocument();
    expect(install).toHaveTextContent(
      "curl -fsSL 'http://localhost:7007/api/tenancy/cluster-access/install.sh?team=default/team-payments' | sh",
    );

    // Copy puts exactly the command on the clipboard, and says so.
    const writeText = jest
      .spyOn(navigator.clipboard, 'writeText')
      .mockResolvedValue();
    await user.click(
      screen.getByRole('button', { name: 'Copy install command' }),
    );
    expect(writeText).toHaveBeenCalledWith(allReadable.installCommand);
    expect(screen.getByTestId('cluster-access-copy-result')).toHaveTextContent(
      'Copied to the clipboard.',
    );

    // The contexts, with proper column and row headers.
    expect(
      contextsTable()
        .getAllByRole('columnheader')
        .map(h => h.textContent),
    ).toEqual(['Context', 'Cluster', 'Environment', 'Namespace', 'API server']);
    expect(
      contextsTable()
        .getAllByRole('rowheader')
        .map(h => h.textContent),
    ).toEqual(['sandbox-a/payments', 'sandbox-c/payments']);
    const prodRow = contextsTable()
      .getByRole('rowheader', { name: 'sandbox-c/payments' })
      .closest('tr')!;
    expect(
      within(prodRow)
        .getAllByRole('cell')
        .map(c => c.textContent),
    ).toEqual([
      'sandbox-c',
      'prod',
      'payments',
      'https://sandbox-c.example.test:6443',
    ]);
    expect(screen.getByTestId('cluster-access-example')).toHaveTextContent(
      'kubectl --context sandbox-a/payments get pods',
    );
    expect(
      screen.queryByTestId('cluster-access-cluster-errors'),
    ).not.toBeInTheDocument();

    // The kubeconfig is hidden until asked for.
    expect(
      screen.queryByTestId('cluster-access-kubeconfig'),
    ).not.toBeInTheDocument();
    const toggle = screen.getByRole('button', { name: 'Show kubeconfig' });
    expect(toggle).toHaveAttribute('aria-expanded', 'false');
    await user.click(toggle);
    const yaml = screen.getByTestId('cluster-access-kubeconfig');
    expect(yaml.textContent).toBe(paymentsKubeconfig);
    expect(
      screen.getByRole('region', {
        name: 'Kubeconfig tenancy-team-payments.yaml',
      }),
    ).toBe(yaml);
    expect(toggle).toHaveAttribute('aria-expanded', 'true');
    expect(toggle).toHaveAttribute('aria-controls', yaml.id);
    expect(toggle).toHaveTextContent('Hide kubeconfig');
    await user.click(toggle);
    expect(
      screen.queryByTestId('cluster-access-kubeconfig'),
    ).not.toBeInTheDocument();
  });

  it('says when the command could not be copied', async () => {
    const user = userEvent.setup();
    await render(
      new FakeTenancyApi({ clusterAccess: { [PAYMENTS]: allReadable } }),
      <ClusterAccessCard groupRef={PAYMENTS} />,
    );
    jest
      .spyOn(navigator.clipboard, 'writeText')
      .mockRejectedValue(new Error('denied'));
    await user.click(
      await screen.findByRole('button', { name: 'Copy install command' }),
    );
    expect(screen.getByTestId('cluster-access-copy-result')).toHaveTextContent(
      'Could not copy: select the command and copy it yourself.',
    );
  });

  it('downloads the kubeconfig under its file name', async () => {
    const user = userEvent.setup();
    const blobs: Blob[] = [];
    const downloads: Array<{ href: string; download: string }> = [];
    const originalCreate = URL.createObjectURL;
    const originalRevoke = URL.revokeObjectURL;
    URL.createObjectURL = jest.fn((blob: Blob) => {
      blobs.push(blob);
      return 'blob:http://localhost/kubeconfig';
    });
    URL.revokeObjectURL = jest.fn();
    const click = jest
      .spyOn(HTMLAnchorElement.prototype, 'click')
      .mockImplementation(function record(this: HTMLAnchorElement) {
        downloads.push({ href: this.href, download: this.download });
      });
    try {
      await render(
        new FakeTenancyApi({ clusterAccess: { [PAYMENTS]: allReadable } }),
        <ClusterAccessCard groupRef={PAYMENTS} />,
      );
      await user.click(
        await screen.findByRole('button', { name: 'Download kubeconfig' }),
      );
      expect(downloads).toEqual([
        {
          href: 'blob:http://localhost/kubeconfig',
          download: 'tenancy-team-payments.yaml',
        },
      ]);
      expect(blobs).toHaveLength(1);
      expect(await blobs[0].text()).toBe(paymentsKubeconfig);
      await waitFor(() =>
        expect(URL.revokeObjectURL).toHaveBeenCalledWith(
          'blob:http://localhost/kubeconfig',
        ),
      );
    } finally {
      click.mockRestore();
      URL.createObjectURL = originalCreate;
      URL.revokeObjectURL = originalRevoke;
    }
  });

  it('passes its filter to the API and says what it covers', async () => {
    const api = new FakeTenancyApi({
      clusterAccess: { [PAYMENTS]: allReadable },
    });
    await render(
      api,
      <ClusterAccessCard
        groupRef={PAYMENTS}
        filter={{ clusters: ['sandbox-a'], namespace: 'payments' }}
      />,
    );
    expect(
      await screen.findByText(
        'kubectl for namespace payments on sandbox-a of team-payments',
      ),
    ).toBeInTheDocument();
    expect(api.calls).toEqual([
      `getClusterAccess ${PAYMENTS} cluster=sandbox-a&namespace=payments`,
    ]);
  });

  it('says the portal does not issue cluster tokens, with no table', async () => {
    await render(
      new FakeTenancyApi({
        clusterAccess: {
          [PAYMENTS]: {
            configured: false,
            message:
              'This portal does not issue cluster tokens: tenancy.clusterAccess is not set.',
          },
        },
      }),
      <ClusterAccessCard groupRef={PAYMENTS} />,
    );
    const info = await screen.findByTestId('cluster-access-not-configured');
    expect(info).toHaveTextContent(
      'This portal does not issue cluster tokens: tenancy.clusterAccess is not set.',
    );
    expect(
      screen.queryByTestId('cluster-access-contexts'),
    ).not.toBeInTheDocument();
    expect(
      screen.queryByTestId('cluster-access-install-command'),
    ).not.toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Download kubeconfig' }),
    ).not.toBeInTheDocument();
  });

  it('warns about the clusters that could not be read, and still shows the others', async () => {
    await render(
      new FakeTenancyApi({
        clusterAccess: {
          [PAYMENTS]: {
            ...paymentsClusterAccess,
            clusterErrors: [
              { cluster: 'sandbox-b', error: timeoutError },
              {
                cluster: HOSTILE,
                error: { kind: 'unreachable', message: HOSTILE },
              },
            ],
          },
        },
      }),
      <ClusterAccessCard groupRef={PAYMENTS} />,
    );
    const warning = await screen.findByTestId('cluster-access-cluster-errors');
    expect(warning).toHaveTextContent(
      '2 clusters could not be read; they have no context here',
    );
    const items = within(warning)
      .getAllByRole('listitem')
      .map(li => li.textContent);
    expect(items).toEqual([
      'sandbox-b: timeout: the API server did not answer within 10000 ms',
      `${HOSTILE}: unreachable: ${HOSTILE}`,
    ]);
    // Text, never HTML.
    expect(warning.querySelector('img')).toBeNull();
    expect(contextsTable().getAllByRole('rowheader')).toHaveLength(2);
  });

  it('says when the team has no namespaces yet', async () => {
    await render(
      new FakeTenancyApi({
        clusterAccess: {
          [PAYMENTS]: {
            ...allReadable,
            contexts: [],
          },
        },
      }),
      <ClusterAccessCard groupRef={PAYMENTS} />,
    );
    expect(
      await screen.findByText(
        'This team has no namespaces yet: onboard one first.',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('link', { name: 'Onboard namespace' }),
    ).toHaveAttribute('href', '/create/templates/default/onboard-tenant');
    expect(
      screen.queryByTestId('cluster-access-contexts'),
    ).not.toBeInTheDocument();
    expect(
      screen.queryByTestId('cluster-access-install-command'),
    ).not.toBeInTheDocument();
  });

  it('tells a non-member plainly that cluster access is for the team', async () => {
    await render(
      new FakeTenancyApi({
        clusterAccess: {
          [PAYMENTS]: await responseError(
            403,
            'NotAllowedError',
            'You are not a member of group:default/team-payments',
          ),
        },
      }),
      <ClusterAccessCard groupRef={PAYMENTS} />,
    );
    const forbidden = await screen.findByTestId('cluster-access-forbidden');
    expect(forbidden).toHaveTextContent(
      'You are not a member of team-payments',
    );
    expect(forbidden).toHaveTextContent(
      'You are not a member of group:default/team-payments',
    );
    expect(
      screen.queryByTestId('cluster-access-contexts'),
    ).not.toBeInTheDocument();
  });

  it("shows the server's error otherwise", async () => {
    await render(
      new FakeTenancyApi({
        clusterAccess: {
          [PAYMENTS]: await responseError(
            500,
            'Error',
            'the signing key is not readable',
          ),
        },
      }),
      <ClusterAccessCard groupRef={PAYMENTS} />,
    );
    expect(
      await screen.findByText(
        /Could not load cluster access for team-payments: the signing key is not readable/,
      ),
    ).toBeInTheDocument();
    expect(
      screen.queryByTestId('cluster-access-forbidden'),
    ).not.toBeInTheDocument();
  });
});

describe('ClusterAccessEntityCard', () => {
  function namespaceResource(clusters: string, owner: string): Entity {
    return {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Resource',
      metadata: {
        name: 'payments.prod',
        namespace: 'default',
        annotations: {
          'tenancy.dev/namespace': 'payments',
          'tenancy.dev/environment': 'prod',
          'tenancy.dev/clusters': clusters,
        },
      },
      spec: { type: 'kubernetes-namespace', owner },
    };
  }

  it.each([
    [
      'narrows to the namespace and its one cluster',
      'sandbox-c',
      'group:default/team-payments',
      `getClusterAccess ${PAYMENTS} cluster=sandbox-c&namespace=payments`,
    ],
    [
      'narrows to the namespace on each of its clusters; a bare owner is a group',
      'sandbox-b, sandbox-c',
      'team-payments',
      `getClusterAccess ${PAYMENTS} cluster=sandbox-b&cluster=sandbox-c&namespace=payments`,
    ],
  ])('%s', async (_, clusters, owner, call) => {
    const api = new FakeTenancyApi({
      clusterAccess: { [PAYMENTS]: allReadable },
    });
    await render(
      api,
      <EntityProvider entity={namespaceResource(clusters, owner)}>
        <ClusterAccessEntityCard />
      </EntityProvider>,
    );
    expect(
      await screen.findByTestId('cluster-access-contexts'),
    ).toBeInTheDocument();
    expect(api.calls).toEqual([call]);
  });

  it('says a namespace owned by a person has no team to give access through, and asks for nothing', async () => {
    const api = new FakeTenancyApi({
      clusterAccess: { [PAYMENTS]: allReadable },
    });
    await render(
      api,
      <EntityProvider entity={namespaceResource('sandbox-c', 'user:alice')}>
        <ClusterAccessEntityCard />
      </EntityProvider>,
    );
    expect(
      await screen.findByTestId('cluster-access-not-a-team'),
    ).toHaveTextContent(
      "this namespace's owner (user:default/alice) is not a team",
    );
    expect(api.calls).toEqual([]);
  });
});
