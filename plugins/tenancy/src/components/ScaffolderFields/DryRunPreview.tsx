import {
  discoveryApiRef,
  fetchApiRef,
  useApi,
} from '@backstage/frontend-plugin-api';
import { ResponseError } from '@backstage/errors';
import type {
  CustomFieldValidator,
  FieldExtensionComponentProps,
} from '@backstage/plugin-scaffolder-react';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import FormControl from '@mui/material/FormControl';
import FormLabel from '@mui/material/FormLabel';
import LinearProgress from '@mui/material/LinearProgress';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { serverMessage, statusOf } from '../shared';

/** `ui:options` of `TenancyDryRunPreview`. */
export interface DryRunPreviewOptions {
  /** The actions registry action that plans the change, e.g. `scaffolder:tenancy-namespace-offboard`. */
  action: string;
  /** The action's input: its field → the form's field that holds the value. */
  input: Record<string, string>;
  /** The form field whose value must be typed to confirm (e.g. `namespace`). */
  confirm?: string;
}

/** One cluster of the plan, as the suite's namespace tools answer it. */
interface ClusterPlan {
  cluster: string;
  outcome: string;
  /** `detail`: what changes in it (a quota's `requests.cpu 2 → 4`). */
  objects: Array<{ object: string; change: string; detail?: string }>;
  error?: string;
}

interface Plan {
  /** The namespace tools' plan, per cluster. */
  clusters?: ClusterPlan[];
  /** The account close tool's plan: the account's state now. */
  accountId?: string;
  state?: string;
  wouldClose?: boolean;
  error?: string;
  log?: string[];
}

/**
 * Only the suite's own tools that dry-run by default and take `dryRun` —
 * its namespace tools, and the account close tool, which only plans: an
 * action without it would ignore the flag and run for real.
 */
const PREVIEWABLE =
  /^scaffolder:tenancy-(namespace-[a-z-]+|aws-account-close)$/;

function optionsOf(uiSchema: unknown): DryRunPreviewOptions | undefined {
  const options = (
    uiSchema as { 'ui:options'?: Partial<DryRunPreviewOptions> }
  )?.['ui:options'];
  if (!options?.action || typeof options.input !== 'object') return undefined;
  return options as DryRunPreviewOptions;
}

function valueAt(formData: unknown, field: string): unknown {
  return (formData as Record<string, unknown> | undefined)?.[field];
}

/**
 * `ui:field: TenancyDryRunPreview` — before anything is changed, asks the
 * suite's action for its dry run (through Backstage's actions registry, with
 * the person's own credentials: the same permission checks and audit as the
 * run itself) and shows what would change on each cluster; with
 * `confirm`, the person types that value (the namespace's name) to go on.
 */
export function DryRunPreview(props: FieldExtensionComponentProps<string>) {
  const { onChange, formData, uiSchema, rawErrors, formContext, idSchema } =
    props;
  const options = optionsOf(uiSchema);
  const discovery = useApi(discoveryApiRef);
  const fetchApi = useApi(fetchApiRef);
  const labelId = useId();
  const values = (formContext as { formData?: unknown } | undefined)?.formData;

  const input = useMemo(() => {
    if (!options) return undefined;
    const result: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(options.input)) {
      const value = valueAt(values, field);
      if (value === undefined || value === '') return undefined;
      result[key] = value;
    }
    return result;
  }, [options, values]);
  const inputKey = JSON.stringify(input ?? null);

  // A confirmation belongs to the plan it was typed under: a new plan (other
  // inputs, or the page opened again, or a link that filled it in) needs it
  // typed again.
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;
  useEffect(() => {
    onChangeRef.current(undefined as unknown as string);
  }, [inputKey]);

  const [attempt, setAttempt] = useState(0);
  const [state, setState] = useState<{
    loading: boolean;
    plan?: Plan;
    error?: Error;
  }>({ loading: false });
  const previewable = Boolean(options && PREVIEWABLE.test(options.action));
  useEffect(() => {
    if (!options || !input || !previewable) {
      setState({ loading: false });
      return undefined;
    }
    let current = true;
    setState({ loading: true });
    (async () => {
      const base = await discovery.getBaseUrl(
        options.action.split(':')[0] ?? 'scaffolder',
      );
      const response = await fetchApi.fetch(
        `${base}/.backstage/actions/v1/actions/${encodeURIComponent(
          options.action,
        )}/invoke`,
        {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ ...input, dryRun: true }),
        },
      );
      if (!response.ok) throw await ResponseError.fromResponse(response);
      return ((await response.json()) as { output: Plan }).output;
    })().then(
      plan => current && setState({ loading: false, plan }),
      error => current && setState({ loading: false, error }),
    );
    return () => {
      current = false;
    };
    // inputKey stands for input.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [discovery, fetchApi, options?.action, previewable, inputKey, attempt]);

  if (!options) {
    return (
      <Alert severity="error">
        TenancyDryRunPreview needs ui:options with action and input.
      </Alert>
    );
  }
  if (!previewable) {
    return (
      <Alert severity="error">
        TenancyDryRunPreview previews only the suite's namespace actions
        (scaffolder:tenancy-namespace-…) and account closing
        (scaffolder:tenancy-aws-account-close), not {options.action}.
      </Alert>
    );
  }
  const expected = options.confirm
    ? valueAt(values, options.confirm)
    : undefined;
  const planFailed = Boolean(state.error);

  return (
    <FormControl
      component="fieldset"
      margin="normal"
      fullWidth
      error={Boolean(rawErrors?.length)}
      id={idSchema?.$id}
    >
      <FormLabel component="legend" id={labelId}>
        What will change
      </FormLabel>
      {!input && (
        <Typography variant="body2" sx={{ my: 1 }}>
          Fill in the earlier pages to see what would change.
        </Typography>
      )}
      {state.loading && (
        <LinearProgress aria-label="Asking what would change" sx={{ my: 1 }} />
      )}
      {state.error && (
        <Alert
          severity="error"
          sx={{ my: 1 }}
          action={
            <Button
              color="inherit"
              size="small"
              onClick={() => setAttempt(a => a + 1)}
            >
              Retry
            </Button>
          }
        >
          {statusOf(state.error) === 403
            ? `Not allowed: ${serverMessage(state.error)}`
            : `The dry run failed: ${serverMessage(state.error)}`}
        </Alert>
      )}
      {state.plan && (
        <Box
          aria-labelledby={labelId}
          aria-live="polite"
          role="list"
          sx={{ my: 1 }}
        >
          {(state.plan.clusters ?? []).map(cluster => (
            <Box key={cluster.cluster} role="listitem" sx={{ mb: 1 }}>
              <Typography sx={{ fontWeight: 500 }}>
                {cluster.cluster}: {cluster.outcome}
              </Typography>
              {cluster.objects.map(o => (
                <Typography
                  key={`${o.object} ${o.change}`}
                  variant="body2"
                  sx={{ pl: 2 }}
                >
                  {o.object} — {o.change}
                  {o.detail ? `: ${o.detail}` : ''}
                </Typography>
              ))}
              {cluster.error && (
                <Typography variant="body2" sx={{ pl: 2, color: 'error.main' }}>
                  {cluster.error}
                </Typography>
              )}
            </Box>
          ))}
          {state.plan.accountId && (
            <Box role="listitem" sx={{ mb: 1 }}>
              <Typography sx={{ fontWeight: 500 }}>
                {`Account ${state.plan.accountId}: ${state.plan.state}`}
              </Typography>
              <Typography variant="body2" sx={{ pl: 2 }}>
                {state.plan.wouldClose
                  ? 'would be closed: AWS deletes a closed account after its post-closure period (90 days), during which AWS support can reopen it'
                  : 'already closed: the task would change nothing'}
              </Typography>
            </Box>
          )}
          {state.plan.error && (
            <Alert severity="warning">{state.plan.error}</Alert>
          )}
        </Box>
      )}
      {typeof expected === 'string' && (
        <TextField
          label={`Type ${expected} to confirm`}
          value={formData ?? ''}
          onChange={event => onChange(event.target.value)}
          disabled={planFailed || !state.plan}
          error={Boolean(rawErrors?.length)}
          required
          margin="normal"
          autoComplete="off"
          inputProps={{ spellCheck: false }}
          helperText="Nothing is changed until you create the task on the next page."
        />
      )}
    </FormControl>
  );
}

/** The typed confirmation must be exactly the value it names. */
export const dryRunPreviewValidation: CustomFieldValidator<string> = (
  value,
  validation,
  context,
) => {
  const options = optionsOf(context.uiSchema);
  if (!options?.confirm) return;
  const expected = valueAt(context.formData, options.confirm);
  if (value !== expected) {
    validation.addError(
      `Type ${
        typeof expected === 'string' ? `"${expected}"` : 'the value'
      } exactly to confirm`,
    );
  }
};
