import type {
  CustomFieldValidator,
  FieldExtensionComponentProps,
} from '@backstage/plugin-scaffolder-react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import FormControl from '@mui/material/FormControl';
import FormControlLabel from '@mui/material/FormControlLabel';
import FormHelperText from '@mui/material/FormHelperText';
import FormLabel from '@mui/material/FormLabel';
import Radio from '@mui/material/Radio';
import RadioGroup from '@mui/material/RadioGroup';
import Typography from '@mui/material/Typography';
import type {
  EnvironmentCluster,
  PlatformEnvironment,
} from '@tenancy/plugin-tenancy-common';
import { useId } from 'react';
import { tenancyApiRef } from '../../api';
import { ChoicesStatus } from './ChoicesStatus';
import { useChoiceWhenUnset, usePlatformChoices } from './usePlatformChoices';

/** One cluster as the option says it: answering, not answering (why), or not read yet. */
export function clusterState(cluster: EnvironmentCluster): string {
  if (cluster.reachable === true) return `${cluster.name} (answering)`;
  if (cluster.reachable === false) {
    return `${cluster.name} (not answering${
      cluster.error?.kind ? `: ${cluster.error.kind}` : ''
    })`;
  }
  return `${cluster.name} (not checked yet)`;
}

/** What the environment is offered for: `ui:options: { for: accounts }`, else namespaces. */
export type EnvironmentUse = 'namespaces' | 'accounts';

export function environmentUseOf(uiSchema: unknown): EnvironmentUse {
  const options = (
    uiSchema as { 'ui:options'?: { for?: unknown } } | undefined
  )?.['ui:options'];
  return options?.for === 'accounts' ? 'accounts' : 'namespaces';
}

/** The environments a form for this use offers; `usable: false` are shown but cannot be chosen. */
export function environmentChoices(
  environments: PlatformEnvironment[],
  use: EnvironmentUse,
): Array<{ environment: PlatformEnvironment; usable: boolean }> {
  if (use === 'namespaces') {
    return environments
      .filter(e => e.namespaces)
      .map(environment => ({ environment, usable: true }));
  }
  // Those with an OU first (config order), then those without one, shown so
  // that nobody wonders where staging went.
  return [
    ...environments.filter(e => e.accountOu),
    ...environments.filter(e => !e.accountOu),
  ].map(environment => ({
    environment,
    usable: Boolean(environment.accountOu),
  }));
}

function clusterLine(environment: PlatformEnvironment): string {
  const { clusters } = environment;
  if (!clusters.length) return 'no clusters';
  return `${
    clusters.length === 1 ? '1 cluster' : `${clusters.length} clusters`
  }: ${clusters.map(clusterState).join(', ')}`;
}

function EnvironmentOption(props: {
  environment: PlatformEnvironment;
  use: EnvironmentUse;
  usable: boolean;
}) {
  const { environment, use, usable } = props;
  const down = environment.clusters.filter(c => c.reachable === false);
  let detail = clusterLine(environment);
  if (use === 'accounts') {
    detail = usable
      ? `accounts go to OU ${environment.accountOu}`
      : `no OU for its accounts yet: the platform team sets tenancy.aws.organizations.environmentOus.${environment.name}`;
  }
  return (
    <Box sx={{ py: 0.5 }}>
      <Typography component="span" sx={{ fontWeight: 500 }}>
        {environment.name}
      </Typography>
      <Typography
        component="span"
        variant="body2"
        sx={{ display: 'block', color: 'text.secondary' }}
      >
        {detail}
      </Typography>
      {use === 'namespaces' && down.length > 0 && (
        <Typography
          component="span"
          variant="body2"
          sx={{ display: 'block', color: 'warning.main' }}
        >
          {down.length === environment.clusters.length
            ? 'No cluster of this environment answers right now: a run would fail until one does.'
            : 'A run now would stop at the cluster that does not answer; rerun it once it does.'}
        </Typography>
      )}
    </Box>
  );
}

/**
 * `ui:field: TenancyEnvironmentPicker` — the environments of the portal's
 * `tenancy.environments`, each with its clusters and whether they answer,
 * so templates need no `enum` of environments and the form cannot offer
 * one the platform does not have. With `ui:options: { for: accounts }`:
 * the environments with an OU for AWS accounts, each with its OU (the
 * others shown, not choosable). An only environment is chosen for the
 * person; of several, they choose.
 */
export function EnvironmentPicker(props: FieldExtensionComponentProps<string>) {
  const {
    onChange,
    formData,
    required,
    rawErrors,
    schema: { title = 'Environment', description },
    uiSchema,
    idSchema,
  } = props;
  const labelId = useId();
  const use = environmentUseOf(uiSchema);
  const choices = usePlatformChoices(api => api.getEnvironments());
  const environments = choices.value
    ? environmentChoices(choices.value.environments, use)
    : undefined;
  const helpText = description ?? uiSchema?.['ui:help'];
  const hasError = Boolean(rawErrors?.length);

  // The only environment there is, when neither the template nor the
  // person chose one. With several, the person chooses: config order is no
  // safe default (layered config files reorder it, and prod may come first).
  const choosable = environments?.filter(c => c.usable) ?? [];
  const only =
    choosable.length === 1 ? choosable[0].environment.name : undefined;
  useChoiceWhenUnset(formData, only, onChange);

  return (
    <FormControl
      component="fieldset"
      required={required}
      error={hasError}
      margin="normal"
      fullWidth
      id={idSchema?.$id}
    >
      <FormLabel component="legend" id={labelId}>
        {title}
      </FormLabel>
      <ChoicesStatus choices={choices} what="the platform's environments" />
      {environments && choosable.length === 0 && (
        <Alert severity="warning" sx={{ my: 1 }}>
          {use === 'accounts'
            ? 'No environment has an OU for AWS accounts (tenancy.aws.organizations.environmentOus): ask the platform team.'
            : 'This portal has no environments (tenancy.environments is empty): ask the platform team.'}
        </Alert>
      )}
      {environments && environments.length > 0 && (
        <RadioGroup
          aria-labelledby={labelId}
          name={idSchema?.$id ?? 'environment'}
          value={formData ?? ''}
          onChange={event => onChange(event.target.value)}
        >
          {environments.map(({ environment, usable }) => (
            <FormControlLabel
              key={environment.name}
              value={environment.name}
              disabled={!usable}
              control={<Radio />}
              label={
                <EnvironmentOption
                  environment={environment}
                  use={use}
                  usable={usable}
                />
              }
            />
          ))}
        </RadioGroup>
      )}
      {helpText && <FormHelperText>{helpText}</FormHelperText>}
    </FormControl>
  );
}

/**
 * Refuses a value that is not one of the portal's environments — a stale
 * template default, or a link that fills the form in.
 */
export const environmentPickerValidation: CustomFieldValidator<string> = async (
  value,
  validation,
  context,
) => {
  if (!value) return;
  const api = context.apiHolder.get(tenancyApiRef);
  if (!api) return;
  const use = environmentUseOf(context.uiSchema);
  let names: string[];
  try {
    names = environmentChoices((await api.getEnvironments()).environments, use)
      .filter(c => c.usable)
      .map(c => c.environment.name);
  } catch {
    // The field itself says the environments could not be loaded; the
    // action checks the environment again before it does anything.
    return;
  }
  if (!names.includes(value)) {
    validation.addError(
      use === 'accounts'
        ? `"${value}" has no OU for AWS accounts in this portal (${
            names.length
              ? `environments with one: ${names.join(', ')}`
              : 'none has one'
          })`
        : `"${value}" is not an environment of this portal (${
            names.length ? `it has ${names.join(', ')}` : 'it has none'
          })`,
    );
  }
};
