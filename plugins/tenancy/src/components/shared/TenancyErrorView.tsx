import {
  EmptyState,
  ResponseErrorPanel,
  WarningPanel,
} from '@backstage/core-components';
import Typography from '@mui/material/Typography';
import type { ClusterError } from '@tenancy/plugin-tenancy-common';
import { errorText } from './textColors';

/** The HTTP status of a failed Tenancy API call (a `ResponseError`), if it had one. */
export function statusOf(error: unknown): number | undefined {
  const e = error as
    | { statusCode?: unknown; response?: { status?: unknown } }
    | undefined;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  if (typeof e?.response?.status === 'number') return e.response.status;
  return undefined;
}

/** The backend's own message (Backstage's `{ error: { message } }` body), else the error's. */
export function serverMessage(error: Error): string {
  const body = (error as { body?: { error?: { message?: unknown } } }).body;
  const message = body?.error?.message;
  return typeof message === 'string' && message ? message : error.message;
}

/** Whether an error means "do not show what you had": the user may no longer see it. */
export function isAccessError(error: unknown): boolean {
  const status = statusOf(error);
  return status === 401 || status === 403;
}

/**
 * A failed load, said plainly: no access (403) and not signed in (401) are
 * states, not crashes; anything else shows the server's error.
 */
export function TenancyErrorView(props: {
  error: Error;
  what: string;
  /** One line of text instead of a panel, for cards. */
  compact?: boolean;
}) {
  const { error, what, compact } = props;
  const status = statusOf(error);
  if (compact) {
    return (
      <Typography
        variant="body2"
        sx={{ color: status === 403 ? 'text.primary' : errorText }}
      >
        {status === 403
          ? `You don't have access to ${what}.`
          : `Could not load ${what}: ${serverMessage(error)}`}
      </Typography>
    );
  }
  if (status === 403) {
    return (
      <EmptyState
        missing="info"
        title={`You don't have access to ${what}`}
        description={`${serverMessage(error).replace(
          /\.$/,
          '',
        )}. Ask the platform team if you need it.`}
      />
    );
  }
  if (status === 401) {
    return (
      <EmptyState
        missing="info"
        title="You are not signed in"
        description={`Sign in again to see ${what}.`}
      />
    );
  }
  if (status === 404) {
    return (
      <EmptyState
        missing="data"
        title={`Not found: ${what}`}
        description={serverMessage(error)}
      />
    );
  }
  return (
    <ResponseErrorPanel
      title={`Could not load ${what}: ${serverMessage(error)}`}
      error={error}
    />
  );
}

/** A reload failed but older data is still shown: say so above it. */
export function StaleDataWarning(props: { error: Error; updatedAt?: number }) {
  const { error, updatedAt } = props;
  const since = updatedAt ? new Date(updatedAt).toLocaleTimeString() : '';
  return (
    <WarningPanel
      title={`Could not refresh${since ? ` — showing data from ${since}` : ''}`}
      message={serverMessage(error)}
    />
  );
}

const KIND_WORDS: Record<ClusterError['kind'], string> = {
  timeout: 'timeout',
  unreachable: 'unreachable',
  tls: 'TLS error',
  unauthorized: 'unauthorized (401)',
  forbidden: 'forbidden (403)',
  throttled: 'throttled',
  error: 'error',
};

/** `timeout: the API server did not answer within 10 s` — kind and message, as text. */
export function clusterErrorText(error: ClusterError): string {
  return `${KIND_WORDS[error.kind] ?? error.kind}: ${error.message}`;
}

export function ClusterErrorText({ error }: { error: ClusterError }) {
  return (
    <Typography variant="body2" component="span" sx={{ color: errorText }}>
      {clusterErrorText(error)}
    </Typography>
  );
}
