import type {
  CustomFieldValidator,
  FieldExtensionComponentProps,
} from '@backstage/plugin-scaffolder-react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import FormControl from '@mui/material/FormControl';
import FormControlLabel from '@mui/material/FormControlLabel';
import FormHelperText from '@mui/material/FormHelperText';
import FormLabel from '@mui/material/FormLabel';
import LinearProgress from '@mui/material/LinearProgress';
import Radio from '@mui/material/Radio';
import RadioGroup from '@mui/material/RadioGroup';
import Typography from '@mui/material/Typography';
import type {
  EnvironmentCluster,
  PlatformEnvironment,
} from '@tenancy/plugin-tenancy-common';
import { useEffect, useId } from 'react';
import { tenancyApiRef } from '../../api';
import { serverMessage } from '../shared';
import { usePlatformChoices } from './usePlatformChoices';

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

function EnvironmentOption(props: { environment: PlatformEnvironment }) {
  const { environment } = props;
  const down = environment.clusters.filter(c => c.reachable === false);
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
        {environment.clusters.length
          ? `${
              environment.clusters.length === 1
                ? '1 cluster'
                : `${environment.clusters.length} clusters`
            }: ${environment.clusters.map(clusterState).join(', ')}`
          : 'no clusters'}
      </Typography>
      {down.length > 0 && (
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
 * one the platform does not have. The first environment is chosen until
 * the person picks another.
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
  const choices = usePlatformChoices(api => api.getEnvironments());
  const environments = choices.value?.environments;
  const helpText = description ?? uiSchema?.['ui:help'];
  const hasError = Boolean(rawErrors?.length);

  // The first environment (config order: the usual way to production), when
  // neither the template nor the person chose one.
  const first = environments?.[0]?.name;
  useEffect(() => {
    if (!formData && first) onChange(first);
  }, [formData, first, onChange]);

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
      {choices.loading && !environments && (
        <LinearProgress
          aria-label="Loading the platform's environments"
          sx={{ my: 1 }}
        />
      )}
      {choices.error && !environments && (
        <Alert
          severity="error"
          sx={{ my: 1 }}
          action={
            <Button color="inherit" size="small" onClick={choices.retry}>
              Retry
            </Button>
          }
        >
          Could not load the platform's environments:{' '}
          {serverMessage(choices.error)}
        </Alert>
      )}
      {environments && environments.length === 0 && (
        <Alert severity="warning" sx={{ my: 1 }}>
          This portal has no environments (tenancy.environments is empty): ask
          the platform team.
        </Alert>
      )}
      {environments && environments.length > 0 && (
        <RadioGroup
          aria-labelledby={labelId}
          name={idSchema?.$id ?? 'environment'}
          value={formData ?? ''}
          onChange={event => onChange(event.target.value)}
        >
          {environments.map(environment => (
            <FormControlLabel
              key={environment.name}
              value={environment.name}
              control={<Radio />}
              label={<EnvironmentOption environment={environment} />}
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
  let names: string[];
  try {
    names = (await api.getEnvironments()).environments.map(e => e.name);
  } catch {
    // The field itself says the environments could not be loaded; the
    // action checks the environment again before it does anything.
    return;
  }
  if (!names.includes(value)) {
    validation.addError(
      `"${value}" is not an environment of this portal (${
        names.length ? `it has ${names.join(', ')}` : 'it has none'
      })`,
    );
  }
};
