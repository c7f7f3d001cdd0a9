import { createFormField } from '@backstage/plugin-scaffolder-react/alpha';
import {
  EnvironmentPicker,
  environmentPickerValidation,
} from './EnvironmentPicker';
import { DryRunPreview, dryRunPreviewValidation } from './DryRunPreview';
import {
  EnvironmentsPicker,
  environmentsPickerValidation,
} from './EnvironmentsPicker';
import {
  NamespaceSizePicker,
  namespaceSizePickerValidation,
} from './NamespaceSizePicker';
import { TeamPicker, teamPickerValidation } from './TeamPicker';

/** `ui:field: TenancyEnvironmentPicker` (loaded by the `scaffolder-form-field` extension). */
export const environmentPickerField = createFormField({
  name: 'TenancyEnvironmentPicker',
  component: EnvironmentPicker,
  validation: environmentPickerValidation,
});

/** `ui:field: TenancyEnvironmentsPicker` (several environments, an array). */
export const environmentsPickerField = createFormField({
  name: 'TenancyEnvironmentsPicker',
  component: EnvironmentsPicker,
  validation: environmentsPickerValidation,
});

/** `ui:field: TenancyNamespaceSizePicker`. */
export const namespaceSizePickerField = createFormField({
  name: 'TenancyNamespaceSizePicker',
  component: NamespaceSizePicker,
  validation: namespaceSizePickerValidation,
});

/** `ui:field: TenancyTeamPicker`. */
export const teamPickerField = createFormField({
  name: 'TenancyTeamPicker',
  component: TeamPicker,
  validation: teamPickerValidation,
});

/** `ui:field: TenancyDryRunPreview`. */
export const dryRunPreviewField = createFormField({
  name: 'TenancyDryRunPreview',
  component: DryRunPreview,
  validation: dryRunPreviewValidation,
});

export { EnvironmentPicker } from './EnvironmentPicker';
export { EnvironmentsPicker } from './EnvironmentsPicker';
export { NamespaceSizePicker } from './NamespaceSizePicker';
export { TeamPicker } from './TeamPicker';
