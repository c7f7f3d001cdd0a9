import { renderInTestApp } from '@backstage/frontend-test-utils';
import type { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { useState } from 'react';
import type {
  EnvironmentsResponse,
  QuotaPresetsResponse,
} from '@tenancy/plugin-tenancy-common';
import { tenancyApiRef } from '../../api';
import { FakeTenancyApi, responseError } from '../../testing/fakeTenancyApi';
import {
  EnvironmentPicker,
  environmentPickerValidation,
} from './EnvironmentPicker';
import {
  NamespaceSizePicker,
  namespaceSizePickerValidation,
} from './NamespaceSizePicker';
import {
  EnvironmentsPicker,
  environmentsPickerValidation,
} from './EnvironmentsPicker';
import { presetSummary } from './quantities';
import { dryRunPreviewValidation } from './DryRunPreview';
import { TeamPicker, teamPickerValidation } from './TeamPicker';

const environments: EnvironmentsResponse = {
  environments: [
    {
      name: 'dev',
      namespaces: true,
      accountOu: 'Workloads/Dev',
      clusters: [
        {
          name: 'sandbox-a',
          reachable: true,
          checkedAt: '2026-11-30T10:00:00Z',
        },
      ],
    },
    {
      name: 'staging',
      namespaces: true,
      clusters: [
        {
          name: 'sandbox-s',
          reachable: false,
          error: { kind: 'timeout', message: 'No answer within 3000 ms' },
        },
      ],
    },
    {
      name: 'prod',
      namespaces: true,
      accountOu: 'Workloads/Prod',
      clusters: [{ name: 'sandbox-b', reachable: true }, { name: 'sandbox-c' }],
    },
    { name: 'sandbox', namespaces: false, accountOu: 'Sandbox', clusters: [] },
  ],
};

const presets: QuotaPresetsResponse = {
  presets: [
    {
      name: 'small',
      isDefault: false,
      hard: { 'requests.cpu': '2', 'requests.memory': '4Gi', pods: '20' },
    },
    {
      name: 'medium',
      isDefault: true,
      hard: {
        'requests.cpu': '500m',
        'requests.memory': '1536Mi',
        'limits.cpu': '1',
        'limits.memory': '3Gi',
        pods: '60',
        services: '20',
      },
    },
  ],
};

/** The props the scaffolder's form passes a field, with a spy for onChange. */
function fieldProps(formData?: string, uiSchema: object = {}) {
  const onChange = jest.fn();
  const props = {
    onChange,
    formData,
    required: true,
    rawErrors: [],
    schema: { title: 'Environment', description: 'Where it runs.' },
    uiSchema,
    idSchema: { $id: 'root_environment' },
  } as unknown as FieldExtensionComponentProps<string>;
  return { props, onChange };
}

function validationOf(api: FakeTenancyApi, uiSchema: object = {}) {
  const errors: string[] = [];
  return {
    errors,
    field: { addError: (e: string) => errors.push(e) } as any,
    context: {
      apiHolder: {
        get: (ref: unknown) => (ref === tenancyApiRef ? api : undefined),
      },
      formData: {},
      schema: {},
      uiSchema,
    } as any,
  };
}

describe('EnvironmentPicker', () => {
  it("offers the portal's environments with each cluster's state, and leaves the choice of several to the person", async () => {
    const api = new FakeTenancyApi({ environments });
    const { props, onChange } = fieldProps();
    await renderInTestApp(<EnvironmentPicker {...props} />, {
      apis: [[tenancyApiRef, api]],
    });
    const radios = await screen.findAllByRole('radio');
    expect(radios.map(r => (r as HTMLInputElement).value)).toEqual([
      'dev',
      'staging',
      'prod',
    ]);
    expect(
      screen.getByText('1 cluster: sandbox-a (answering)'),
    ).toBeInTheDocument();
    expect(
      screen.getByText('1 cluster: sandbox-s (not answering: timeout)'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/No cluster of this environment answers right now/),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        '2 clusters: sandbox-b (answering), sandbox-c (not checked yet)',
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('Where it runs.')).toBeInTheDocument();
    expect(onChange).not.toHaveBeenCalled();

    fireEvent.click(screen.getByRole('radio', { name: /^staging/ }));
    expect(onChange).toHaveBeenLastCalledWith('staging');
  });

  it('keeps a value already chosen', async () => {
    // One environment, which would be chosen for an empty field.
    const api = new FakeTenancyApi({
      environments: {
        environments: environments.environments.filter(e => e.name === 'prod'),
      },
    });
    const { props, onChange } = fieldProps('prod');
    await renderInTestApp(<EnvironmentPicker {...props} />, {
      apis: [[tenancyApiRef, api]],
    });
    expect(await screen.findByRole('radio', { name: /^prod/ })).toBeChecked();
    expect(onChange).not.toHaveBeenCalled();
  });

  it('says why it has nothing to offer, and loads again on Retry', async () => {
    const api = new FakeTenancyApi({
      environments: await responseError(500, 'Error', 'the database is down'),
    });
    const { props } = fieldProps();
    await renderInTestApp(<EnvironmentPicker {...props} />, {
      apis: [[tenancyApiRef, api]],
    });
    expect(
      await screen.findByText(
        /Could not load the platform's environments: the database is down/,
      ),
    ).toBeInTheDocument();
    api.environments = environments;
    fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(await screen.findAllByRole('radio')).toHaveLength(3);
    expect(api.calls.filter(c => c === 'getEnvironments')).toHaveLength(2);
  });

  it('shows progress while loading', async () => {
    const api = new FakeTenancyApi();
    const { props } = fieldProps();
    await renderInTestApp(<EnvironmentPicker {...props} />, {
      apis: [[tenancyApiRef, api]],
    });
    expect(
      screen.getByRole('progressbar', {
        name: "Loading the platform's environments",
      }),
    ).toBeInTheDocument();
  });

  it('refuses an environment the portal does not have, naming those it has', async () => {
    const api = new FakeTenancyApi({ environments });
    const v = validationOf(api);
    await environmentPickerValidation('qa', v.field, v.context);
    expect(v.errors).toEqual([
      '"qa" is not an environment of this portal (it has dev, staging, prod)',
    ]);
    const ok = validationOf(api);
    await environmentPickerValidation('staging', ok.field, ok.context);
    expect(ok.errors).toEqual([]);
  });
});

describe('EnvironmentPicker for accounts (ui:options: { for: accounts })', () => {
  const forAccounts = { 'ui:options': { for: 'accounts' } };

  it('offers the environments with an OU, each with it, and shows one without an OU as not choosable', async () => {
    const api = new FakeTenancyApi({ environments });
    const { props, onChange } = fieldProps(undefined, forAccounts);
    await renderInTestApp(<EnvironmentPicker {...props} />, {
      apis: [[tenancyApiRef, api]],
    });
    const radios = (await screen.findAllByRole('radio')) as HTMLInputElement[];
    expect(radios.map(r => [r.value, r.disabled])).toEqual([
      ['dev', false],
      ['prod', false],
      ['sandbox', false],
      ['staging', true],
    ]);
    expect(
      screen.getByText('accounts go to OU Workloads/Dev'),
    ).toBeInTheDocument();
    expect(screen.getByText('accounts go to OU Sandbox')).toBeInTheDocument();
    expect(
      screen.getByText(
        'no OU for its accounts yet: the platform team sets tenancy.aws.organizations.environmentOus.staging',
      ),
    ).toBeInTheDocument();
    expect(onChange).not.toHaveBeenCalled();
  });

  it('chooses the only environment there is, and says when none has an OU', async () => {
    const only = new FakeTenancyApi({
      environments: {
        environments: [
          {
            name: 'dev',
            namespaces: true,
            accountOu: 'Workloads/Dev',
            clusters: [],
          },
          { name: 'prod', namespaces: true, clusters: [] },
        ],
      },
    });
    const first = fieldProps(undefined, forAccounts);
    const { unmount } = await renderInTestApp(
      <EnvironmentPicker {...first.props} />,
      { apis: [[tenancyApiRef, only]] },
    );
    await waitFor(() => expect(first.onChange).toHaveBeenCalledWith('dev'));
    unmount();

    const none = new FakeTenancyApi({
      environments: {
        environments: [{ name: 'prod', namespaces: true, clusters: [] }],
      },
    });
    const second = fieldProps(undefined, forAccounts);
    await renderInTestApp(<EnvironmentPicker {...second.props} />, {
      apis: [[tenancyApiRef, none]],
    });
    expect(
      await screen.findByText(
        /No environment has an OU for AWS accounts \(tenancy.aws.organizations.environmentOus\)/,
      ),
    ).toBeInTheDocument();
    expect(screen.getByRole('radio', { name: /^prod/ })).toBeDisabled();
    expect(second.onChange).not.toHaveBeenCalled();
  });

  it('refuses an environment without an OU', async () => {
    const api = new FakeTenancyApi({ environments });
    const v = validationOf(api, forAccounts);
    await environmentPickerValidation('staging', v.field, v.context);
    expect(v.errors).toEqual([
      '"staging" has no OU for AWS accounts in this portal (environments with one: dev, prod, sandbox)',
    ]);
    const ok = validationOf(api, forAccounts);
    await environmentPickerValidation('sandbox', ok.field, ok.context);
    expect(ok.errors).toEqual([]);
  });

  it('is not offered for namespaces: an environment of accounts only has no clusters', async () => {
    const api = new FakeTenancyApi({ environments });
    const v = validationOf(api);
    await environmentPickerValidation('sandbox', v.field, v.context);
    expect(v.errors).toEqual([
      '"sandbox" is not an environment of this portal (it has dev, staging, prod)',
    ]);
  });
});

describe('NamespaceSizePicker', () => {
  it('offers the sizes with their real quota, and chooses the default', async () => {
    const api = new FakeTenancyApi({ quotaPresets: presets });
    const { props, onChange } = fieldProps();
    await renderInTestApp(<NamespaceSizePicker {...props} />, {
      apis: [[tenancyApiRef, api]],
    });
    expect(await screen.findByText('medium (default)')).toBeInTheDocument();
    expect(
      screen.getByText('2 CPU / 4 GiB requested, 20 pods'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        '0.5 CPU / 1.5 GiB requested, limits 1 CPU / 3 GiB, 60 pods, 20 services',
      ),
    ).toBeInTheDocument();
    await waitFor(() => expect(onChange).toHaveBeenCalledWith('medium'));
    fireEvent.click(screen.getByRole('radio', { name: /^small/ }));
    expect(onChange).toHaveBeenLastCalledWith('small');
  });

  it('refuses a size the portal does not have', async () => {
    const api = new FakeTenancyApi({ quotaPresets: presets });
    const v = validationOf(api);
    await namespaceSizePickerValidation('large', v.field, v.context);
    expect(v.errors).toEqual([
      '"large" is not a namespace size of this portal (it has small, medium)',
    ]);
  });
});

describe('TeamPicker', () => {
  const payments = {
    entityRef: 'group:default/team-payments',
    title: 'Payments',
  };
  const search = { entityRef: 'group:default/team-search', title: 'Search' };

  it("chooses a member's only team", async () => {
    const api = new FakeTenancyApi({
      actingTeams: { teams: [payments], anyTeam: false },
    });
    const { props, onChange } = fieldProps();
    await renderInTestApp(<TeamPicker {...props} />, {
      apis: [[tenancyApiRef, api]],
    });
    await waitFor(() =>
      expect(onChange).toHaveBeenCalledWith('group:default/team-payments'),
    );
  });

  it("keeps another team's value filled in for the platform team, and offers every team", async () => {
    const api = new FakeTenancyApi({
      actingTeams: { teams: [payments, search], anyTeam: true },
    });
    const { props, onChange } = fieldProps('group:default/team-search');
    await renderInTestApp(<TeamPicker {...props} />, {
      apis: [[tenancyApiRef, api]],
    });
    const input = await screen.findByRole('combobox');
    expect(input).toHaveValue('Search');
    expect(
      screen.getByText(
        'Where it runs. As the platform team, you can pick any team.',
      ),
    ).toBeInTheDocument();
    fireEvent.mouseDown(input);
    fireEvent.click(await screen.findByRole('option', { name: 'Payments' }));
    expect(onChange).toHaveBeenLastCalledWith('group:default/team-payments');
  });

  it('keeps a filled-in team the catalog does not show the platform team: they may act for any team', async () => {
    const api = new FakeTenancyApi({
      actingTeams: { teams: [payments], anyTeam: true },
    });
    const { props, onChange } = fieldProps('group:default/team-gone');
    await renderInTestApp(<TeamPicker {...props} />, {
      apis: [[tenancyApiRef, api]],
    });
    expect(await screen.findByRole('combobox')).toHaveValue('team-gone');
    expect(screen.queryByText(/not a member of/)).not.toBeInTheDocument();
    expect(onChange).not.toHaveBeenCalled();
    const v = validationOf(api);
    await teamPickerValidation('group:default/team-gone', v.field, v.context);
    expect(v.errors).toEqual([]);
  });

  it('names a filled-in team the person is not in instead of replacing it', async () => {
    const api = new FakeTenancyApi({
      actingTeams: { teams: [payments], anyTeam: false },
    });
    const { props, onChange } = fieldProps('group:default/team-search');
    await renderInTestApp(<TeamPicker {...props} />, {
      apis: [[tenancyApiRef, api]],
    });
    expect(
      await screen.findByText(
        /filled in for group:default\/team-search, which you are not a member of/,
      ),
    ).toBeInTheDocument();
    expect(onChange).not.toHaveBeenCalled();
  });

  it('refuses a team the person may not act for', async () => {
    const api = new FakeTenancyApi({
      actingTeams: { teams: [payments], anyTeam: false },
    });
    const v = validationOf(api);
    await teamPickerValidation('group:default/team-search', v.field, v.context);
    expect(v.errors).toEqual([
      'You are not a member of group:default/team-search; only its members and the platform team can do this',
    ]);
    const ok = validationOf(api);
    await teamPickerValidation(
      'group:default/team-payments',
      ok.field,
      ok.context,
    );
    expect(ok.errors).toEqual([]);
  });
});

describe('presetSummary', () => {
  it('reads memory in binary units and millicores as CPUs', () => {
    expect(
      presetSummary({
        name: 'x',
        isDefault: false,
        hard: { 'requests.cpu': '250m', 'requests.memory': '512Mi' },
      }),
    ).toBe('0.25 CPU / 512 MiB requested');
  });
});

describe('dryRunPreviewValidation', () => {
  const uiSchema = {
    'ui:options': {
      action: 'scaffolder:tenancy-namespace-offboard',
      input: { namespace: 'namespace' },
      confirm: 'namespace',
    },
  };
  const validate = (value: string | undefined) => {
    const errors: string[] = [];
    dryRunPreviewValidation(
      value as string,
      { addError: (e: string) => errors.push(e) } as any,
      {
        apiHolder: { get: () => undefined },
        formData: { namespace: 'payments-ledger' },
        schema: {},
        uiSchema,
      } as any,
    );
    return errors;
  };

  it('goes on only with the exact name typed', () => {
    expect(validate('payments-ledger')).toEqual([]);
    expect(validate('payments-ledge')).toEqual([
      'Type "payments-ledger" exactly to confirm',
    ]);
    expect(validate(undefined)).toEqual([
      'Type "payments-ledger" exactly to confirm',
    ]);
  });
});

describe('EnvironmentsPicker', () => {
  it('offers every environment with clusters and an OU, chosen until unticked, and says what the others lack', async () => {
    const api = new FakeTenancyApi({ environments });
    const onChange = jest.fn();
    const props = {
      onChange,
      formData: undefined,
      required: true,
      rawErrors: [],
      schema: { title: 'Environments' },
      uiSchema: {},
      idSchema: { $id: 'root_environments' },
    } as unknown as FieldExtensionComponentProps<string[]>;
    // The form's state, as the scaffolder keeps it.
    function Form() {
      // The scaffolder's form starts an array field empty.
      const [value, setValue] = useState<string[] | undefined>([]);
      return (
        <EnvironmentsPicker
          {...props}
          formData={value}
          onChange={(next?: string[]) => {
            onChange(next);
            setValue(next);
          }}
        />
      );
    }
    await renderInTestApp(<Form />, { apis: [[tenancyApiRef, api]] });
    await waitFor(() => expect(onChange).toHaveBeenCalledWith(['dev', 'prod']));
    expect(screen.getByRole('checkbox', { name: /^dev/ })).toBeChecked();
    expect(
      screen.getByText(
        'no OU for its accounts (tenancy.aws.organizations.environmentOus.staging)',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText('no clusters (tenancy.environments)'),
    ).toBeInTheDocument();
    expect(screen.getByRole('checkbox', { name: /^staging/ })).toBeDisabled();
    expect(
      screen.getByText(
        'account in OU Workloads/Prod; namespace on sandbox-b (answering), sandbox-c (not checked yet)',
      ),
    ).toBeInTheDocument();

    fireEvent.click(screen.getByRole('checkbox', { name: /^prod/ }));
    expect(onChange).toHaveBeenLastCalledWith(['dev']);
    // Unticked stays unticked: no choosing for the person again.
    expect(screen.getByRole('checkbox', { name: /^prod/ })).not.toBeChecked();
    expect(onChange).toHaveBeenCalledTimes(2);
  });

  it('refuses none, and an environment a team cannot have', async () => {
    const api = new FakeTenancyApi({ environments });
    const none = validationOf(api);
    await environmentsPickerValidation([], none.field, none.context);
    expect(none.errors).toEqual(['Choose at least one environment']);
    const v = validationOf(api);
    await environmentsPickerValidation(['dev', 'staging'], v.field, v.context);
    expect(v.errors).toEqual([
      '"staging" cannot take a team here (environments with clusters and an account OU: dev, prod)',
    ]);
  });
});
