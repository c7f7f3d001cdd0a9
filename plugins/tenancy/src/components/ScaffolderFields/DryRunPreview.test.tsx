import { discoveryApiRef, fetchApiRef } from '@backstage/frontend-plugin-api';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import type { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { DryRunPreview } from './DryRunPreview';

// The field's own behaviour; the actions registry behind it is the real one
// in the offboarding end-to-end test (day2.test.ts).
const plan = {
  output: {
    dryRun: true,
    clusters: [
      {
        cluster: 'sandbox-a',
        outcome: 'dry-run',
        objects: [
          { object: 'Namespace/ledger', change: 'would-delete' },
          { object: 'Service/<b>web</b>', change: 'would-delete' },
        ],
      },
    ],
    log: [],
  },
};

function setup(action: string, formData?: string, answer: object = plan) {
  const fetch = jest.fn(async (_url: string, _init?: any) => ({
    ok: true,
    status: 200,
    json: async () => answer,
  }));
  const onChange = jest.fn();
  const props = {
    onChange,
    formData,
    rawErrors: [],
    schema: {},
    idSchema: { $id: 'root_confirm' },
    uiSchema: {
      'ui:options': {
        action,
        input: { tenant: 'tenant', namespace: 'namespace' },
        confirm: 'namespace',
      },
    },
    formContext: {
      formData: { tenant: 'group:default/team-payments', namespace: 'ledger' },
    },
  } as unknown as FieldExtensionComponentProps<string>;
  const apis = [
    [
      discoveryApiRef,
      { getBaseUrl: async (id: string) => `http://portal/api/${id}` },
    ],
    [fetchApiRef, { fetch }],
  ] as any;
  return { props, onChange, fetch, apis };
}

describe('DryRunPreview', () => {
  it("shows the action's dry run per cluster as text, and asks for the name", async () => {
    const { props, onChange, fetch, apis } = setup(
      'scaffolder:tenancy-namespace-offboard',
      'ledger',
    );
    await renderInTestApp(<DryRunPreview {...props} />, { apis });
    expect(await screen.findByText('sandbox-a: dry-run')).toBeInTheDocument();
    expect(
      screen.getByText('Service/<b>web</b> — would-delete'),
    ).toBeInTheDocument();
    const [url, init] = fetch.mock.calls[0];
    expect(url).toBe(
      'http://portal/api/scaffolder/.backstage/actions/v1/actions/scaffolder%3Atenancy-namespace-offboard/invoke',
    );
    expect(JSON.parse(init.body)).toEqual({
      tenant: 'group:default/team-payments',
      namespace: 'ledger',
      dryRun: true,
    });
    // A confirmation from before (a link, another plan) is cleared.
    expect(onChange).toHaveBeenCalledWith(undefined);
    fireEvent.change(screen.getByRole('textbox', { name: /Type ledger/ }), {
      target: { value: 'ledge' },
    });
    expect(onChange).toHaveBeenLastCalledWith('ledge');
  });

  it("shows what changes in an object: a resize's quota before → after", async () => {
    const { props, apis } = setup(
      'scaffolder:tenancy-namespace-resize',
      undefined,
      {
        output: {
          dryRun: true,
          clusters: [
            {
              cluster: 'sandbox-a',
              outcome: 'dry-run',
              objects: [
                {
                  object: 'ResourceQuota/tenant-quota',
                  change: 'would-update',
                  detail: 'requests.cpu 2 → 4, requests.memory 4Gi → 8Gi',
                },
              ],
            },
          ],
          log: [],
        },
      },
    );
    await renderInTestApp(<DryRunPreview {...props} />, { apis });
    expect(
      await screen.findByText(
        'ResourceQuota/tenant-quota — would-update: requests.cpu 2 → 4, requests.memory 4Gi → 8Gi',
      ),
    ).toBeInTheDocument();
  });

  it('previews nothing but the suite’s own planning tools', async () => {
    const { props, fetch, apis } = setup('catalog:unregister-entity');
    await renderInTestApp(<DryRunPreview {...props} />, { apis });
    expect(
      screen.getByText(/previews only the suite's namespace actions/),
    ).toBeInTheDocument();
    await waitFor(() => expect(fetch).not.toHaveBeenCalled());
  });

  it("shows the account close tool's plan: the account's state and what closing does", async () => {
    const { props, fetch, apis } = setup(
      'scaffolder:tenancy-aws-account-close',
      undefined,
      {
        output: {
          dryRun: true,
          accountId: '111122223333',
          tenant: 'group:default/team-payments',
          state: 'ACTIVE',
          wouldClose: true,
          log: [],
          next: '',
        },
      },
    );
    await renderInTestApp(<DryRunPreview {...props} />, { apis });
    expect(
      await screen.findByText('Account 111122223333: ACTIVE'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/^would be closed: AWS deletes a closed account after/),
    ).toBeVisible();
    expect(fetch.mock.calls[0][0]).toMatch(
      /actions\/scaffolder%3Atenancy-aws-account-close\/invoke$/,
    );
  });

  it('says an account that is already closed would not change', async () => {
    const { props, apis } = setup(
      'scaffolder:tenancy-aws-account-close',
      undefined,
      {
        output: {
          dryRun: true,
          accountId: '444455556666',
          state: 'SUSPENDED',
          wouldClose: false,
          log: [],
        },
      },
    );
    await renderInTestApp(<DryRunPreview {...props} />, { apis });
    expect(
      await screen.findByText('Account 444455556666: SUSPENDED'),
    ).toBeInTheDocument();
    expect(
      screen.getByText('already closed: the task would change nothing'),
    ).toBeInTheDocument();
  });
});
