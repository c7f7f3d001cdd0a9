import type {
  CustomFieldValidator,
  FieldExtensionComponentProps,
} from '@backstage/plugin-scaffolder-react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Checkbox from '@mui/material/Checkbox';
import FormControl from '@mui/material/FormControl';
import FormControlLabel from '@mui/material/FormControlLabel';
import FormGroup from '@mui/material/FormGroup';
import FormHelperText from '@mui/material/FormHelperText';
import FormLabel from '@mui/material/FormLabel';
import Typography from '@mui/material/Typography';
import type { PlatformEnvironment } from '@tenancy/plugin-tenancy-common';
import { useEffect, useId, useRef } from 'react';
import { tenancyApiRef } from '../../api';
import { ChoicesStatus } from './ChoicesStatus';
import { clusterState } from './EnvironmentPicker';
import { usePlatformChoices } from './usePlatformChoices';

/**
 * The environments a new team is onboarded to — each needs clusters (its
 * namespace) and an OU (its AWS account); the others are shown, not
 * choosable, with what is missing.
 */
export function teamEnvironmentChoices(
  environments: PlatformEnvironment[],
): Array<{ environment: PlatformEnvironment; missing?: string }> {
  return environments.map(environment => {
    const missing = [
      ...(environment.namespaces && environment.clusters.length
        ? []
        : ['no clusters (tenancy.environments)']),
      ...(environment.accountOu
        ? []
        : [
            `no OU for its accounts (tenancy.aws.organizations.environmentOus.${environment.name})`,
          ]),
    ];
    return missing.length
      ? { environment, missing: missing.join('; ') }
      : { environment };
  });
}

/**
 * `ui:field: TenancyEnvironmentsPicker` (an array of strings) — several of
 * the portal's environments at once, for onboarding a new team to each:
 * every environment with clusters and an OU for AWS accounts, all chosen
 * until the person unticks some.
 */
export function EnvironmentsPicker(
  props: FieldExtensionComponentProps<string[]>,
) {
  const {
    onChange,
    formData,
    required,
    rawErrors,
    schema: { title = 'Environments', description },
    uiSchema,
    idSchema,
  } = props;
  const labelId = useId();
  const choices = usePlatformChoices(api => api.getEnvironments());
  const environments = choices.value
    ? teamEnvironmentChoices(choices.value.environments)
    : undefined;
  const usable = (environments ?? [])
    .filter(c => !c.missing)
    .map(c => c.environment.name);
  const helpText = description ?? uiSchema?.['ui:help'];

  // Every environment the team can have when the form opens with none (it
  // starts an array empty); once the person ticks or unticks, what they
  // chose — also nothing.
  // (Until the form keeps it: it may overwrite a value given while it
  // mounts, so this runs again while the field is empty and untouched.)
  const usableKey = usable.join(',');
  const touched = useRef(false);
  useEffect(() => {
    if (touched.current || !usableKey || formData?.length) return;
    onChange(usableKey.split(','));
  }, [formData, usableKey, onChange]);

  const selected = new Set(formData ?? []);
  const toggle = (name: string, on: boolean) => {
    touched.current = true;
    const next = usable.filter(n => (n === name ? on : selected.has(n)));
    onChange(next);
  };

  return (
    <FormControl
      component="fieldset"
      required={required}
      error={Boolean(rawErrors?.length)}
      margin="normal"
      fullWidth
      id={idSchema?.$id}
    >
      <FormLabel component="legend" id={labelId}>
        {title}
      </FormLabel>
      <ChoicesStatus choices={choices} what="the platform's environments" />
      {environments && usable.length === 0 && (
        <Alert severity="warning" sx={{ my: 1 }}>
          No environment has both clusters and an OU for AWS accounts: ask the
          platform team.
        </Alert>
      )}
      {environments && environments.length > 0 && (
        <FormGroup aria-labelledby={labelId}>
          {environments.map(({ environment, missing }) => (
            <FormControlLabel
              key={environment.name}
              disabled={Boolean(missing)}
              control={
                <Checkbox
                  checked={!missing && selected.has(environment.name)}
                  onChange={event =>
                    toggle(environment.name, event.target.checked)
                  }
                  name={environment.name}
                />
              }
              label={
                <Box sx={{ py: 0.5 }}>
                  <Typography component="span" sx={{ fontWeight: 500 }}>
                    {environment.name}
                  </Typography>
                  <Typography
                    component="span"
                    variant="body2"
                    sx={{ display: 'block', color: 'text.secondary' }}
                  >
                    {missing ??
                      `account in OU ${
                        environment.accountOu
                      }; namespace on ${environment.clusters
                        .map(clusterState)
                        .join(', ')}`}
                  </Typography>
                </Box>
              }
            />
          ))}
        </FormGroup>
      )}
      {helpText && <FormHelperText>{helpText}</FormHelperText>}
    </FormControl>
  );
}

/** At least one environment, each one the team can have in this portal. */
export const environmentsPickerValidation: CustomFieldValidator<
  string[]
> = async (value, validation, context) => {
  if (!value?.length) {
    validation.addError('Choose at least one environment');
    return;
  }
  const api = context.apiHolder.get(tenancyApiRef);
  if (!api) return;
  let usable: string[];
  try {
    usable = teamEnvironmentChoices((await api.getEnvironments()).environments)
      .filter(c => !c.missing)
      .map(c => c.environment.name);
  } catch {
    // The field says the environments could not be loaded; the actions
    // check each environment again.
    return;
  }
  const unknown = value.filter(v => !usable.includes(v));
  if (unknown.length) {
    validation.addError(
      `${unknown
        .map(v => `"${v}"`)
        .join(
          ', ',
        )} cannot take a team here (environments with clusters and an account OU: ${
        usable.join(', ') || 'none'
      })`,
    );
  }
};
