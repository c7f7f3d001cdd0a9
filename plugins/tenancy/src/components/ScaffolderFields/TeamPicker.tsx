import type {
  CustomFieldValidator,
  FieldExtensionComponentProps,
} from '@backstage/plugin-scaffolder-react';
import Alert from '@mui/material/Alert';
import Autocomplete from '@mui/material/Autocomplete';
import FormControl from '@mui/material/FormControl';
import TextField from '@mui/material/TextField';
import type { ActingTeam } from '@tenancy/plugin-tenancy-common';
import { tenancyApiRef } from '../../api';
import { ChoicesStatus } from './ChoicesStatus';
import { useChoiceWhenUnset, usePlatformChoices } from './usePlatformChoices';

/** The team's title, as the catalog shows it; its name when it has none. */
function label(team: ActingTeam): string {
  return team.title ?? team.entityRef.replace(/^group:default\//, '');
}

/**
 * `ui:field: TenancyTeamPicker` — the teams the person may act for, as the
 * suite's actions decide: their own teams, or every team for the platform
 * team. A team filled in by a link (e.g. the Offboard button of another
 * team's namespace, opened by the platform team) is kept, not replaced by
 * the person's own team; one they may not act for is named as such. With a
 * single team to choose from, it is chosen.
 */
export function TeamPicker(props: FieldExtensionComponentProps<string>) {
  const {
    onChange,
    formData,
    required,
    rawErrors,
    schema: { title = 'Team', description },
    uiSchema,
    idSchema,
  } = props;
  const choices = usePlatformChoices(api => api.getActingTeams());
  const teams = choices.value?.teams;
  const anyTeam = choices.value?.anyTeam;
  const helpText = [
    (uiSchema?.['ui:help'] as string | undefined) ??
      description ??
      (anyTeam ? undefined : 'The teams you are a member of.'),
    anyTeam && 'As the platform team, you can pick any team.',
  ]
    .filter(Boolean)
    .join(' ');
  useChoiceWhenUnset(
    formData,
    teams?.length === 1 ? teams[0].entityRef : undefined,
    onChange,
  );
  const selected = teams?.find(t => t.entityRef === formData);
  // The platform team may act for any team, also one the catalog does not
  // show them (e.g. deleted since): a value from a link stands.
  const foreign = Boolean(teams && formData && !selected && !anyTeam);

  return (
    <FormControl
      margin="normal"
      fullWidth
      required={required}
      error={Boolean(rawErrors?.length) || foreign}
      id={idSchema?.$id}
    >
      <ChoicesStatus choices={choices} what="your teams" />
      {teams && (
        <Autocomplete<ActingTeam>
          options={teams}
          value={
            selected ?? (formData && anyTeam ? { entityRef: formData } : null)
          }
          onChange={(_event, team) =>
            onChange(team?.entityRef ?? (undefined as unknown as string))
          }
          getOptionLabel={label}
          isOptionEqualToValue={(a, b) => a.entityRef === b.entityRef}
          renderInput={params => (
            <TextField
              {...params}
              label={title}
              required={required}
              error={Boolean(rawErrors?.length) || foreign}
              helperText={helpText}
            />
          )}
        />
      )}
      {teams && teams.length === 0 && (
        <Alert severity="warning" sx={{ mt: 1 }}>
          You are not a member of any team in the catalog, so there is no team
          you can do this for. Ask the platform team to add you to yours.
        </Alert>
      )}
      {foreign && (
        <Alert severity="error" sx={{ mt: 1 }}>
          {`This page was filled in for ${formData}, which you are not a member of: only its members and the platform team can do this. Pick one of your teams.`}
        </Alert>
      )}
    </FormControl>
  );
}

/** Refuses a team the person may not act for, before the task is created. */
export const teamPickerValidation: CustomFieldValidator<string> = async (
  value,
  validation,
  context,
) => {
  if (!value) return;
  const api = context.apiHolder.get(tenancyApiRef);
  if (!api) return;
  let acting: { teams: ActingTeam[]; anyTeam: boolean };
  try {
    acting = await api.getActingTeams();
  } catch {
    // The action decides again; a failed lookup is shown by the field.
    return;
  }
  if (!acting.anyTeam && !acting.teams.some(t => t.entityRef === value)) {
    validation.addError(
      `You are not a member of ${value}; only its members and the platform team can do this`,
    );
  }
};
