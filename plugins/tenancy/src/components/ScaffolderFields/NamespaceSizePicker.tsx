import type {
  CustomFieldValidator,
  FieldExtensionComponentProps,
} from '@backstage/plugin-scaffolder-react';
import Box from '@mui/material/Box';
import FormControl from '@mui/material/FormControl';
import FormControlLabel from '@mui/material/FormControlLabel';
import FormHelperText from '@mui/material/FormHelperText';
import FormLabel from '@mui/material/FormLabel';
import Radio from '@mui/material/Radio';
import RadioGroup from '@mui/material/RadioGroup';
import Typography from '@mui/material/Typography';
import { useId } from 'react';
import { tenancyApiRef } from '../../api';
import { presetSummary } from './quantities';
import { ChoicesStatus } from './ChoicesStatus';
import { useChoiceWhenUnset, usePlatformChoices } from './usePlatformChoices';

/**
 * `ui:field: TenancyNamespaceSizePicker` — the namespace sizes of the
 * portal's `tenancy.baseline.quotaPresets`, each with the quota it really
 * gives; the platform's default size is chosen until the person picks
 * another.
 */
export function NamespaceSizePicker(
  props: FieldExtensionComponentProps<string>,
) {
  const {
    onChange,
    formData,
    required,
    rawErrors,
    schema: { title = 'Size', description },
    uiSchema,
    idSchema,
  } = props;
  const labelId = useId();
  const choices = usePlatformChoices(api => api.getQuotaPresets());
  const presets = choices.value?.presets;
  const helpText = description ?? uiSchema?.['ui:help'];

  // The platform's default size, when neither the template nor the person
  // chose one.
  const fallback = presets?.find(p => p.isDefault)?.name;
  useChoiceWhenUnset(formData, fallback, onChange);

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
      <ChoicesStatus choices={choices} what="the namespace sizes" />
      {presets && (
        <RadioGroup
          aria-labelledby={labelId}
          name={idSchema?.$id ?? 'quotaPreset'}
          value={formData ?? ''}
          onChange={event => onChange(event.target.value)}
        >
          {presets.map(preset => (
            <FormControlLabel
              key={preset.name}
              value={preset.name}
              control={<Radio />}
              label={
                <Box sx={{ py: 0.5 }}>
                  <Typography component="span" sx={{ fontWeight: 500 }}>
                    {preset.name}
                    {preset.isDefault ? ' (default)' : ''}
                  </Typography>
                  <Typography
                    component="span"
                    variant="body2"
                    sx={{ display: 'block', color: 'text.secondary' }}
                  >
                    {presetSummary(preset)}
                  </Typography>
                </Box>
              }
            />
          ))}
        </RadioGroup>
      )}
      {helpText && <FormHelperText>{helpText}</FormHelperText>}
    </FormControl>
  );
}

/** Refuses a size the portal does not have. */
export const namespaceSizePickerValidation: CustomFieldValidator<
  string
> = async (value, validation, context) => {
  if (!value) return;
  const api = context.apiHolder.get(tenancyApiRef);
  if (!api) return;
  let names: string[];
  try {
    names = (await api.getQuotaPresets()).presets.map(p => p.name);
  } catch {
    return;
  }
  if (!names.includes(value)) {
    validation.addError(
      `"${value}" is not a namespace size of this portal (it has ${names.join(
        ', ',
      )})`,
    );
  }
};
