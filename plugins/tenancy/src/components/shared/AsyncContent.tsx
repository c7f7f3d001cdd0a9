import { Progress } from '@backstage/core-components';
import Box from '@mui/material/Box';
import { ReactNode } from 'react';
import {
  isAccessError,
  StaleDataWarning,
  TenancyErrorView,
} from './TenancyErrorView';
import type { AutoRefreshState } from './useAutoRefresh';

/**
 * The loading, error and loaded states every Tenancy view shares. A failed
 * reload keeps the last data under a warning, except when access was lost.
 */
export function AsyncContent<T>(props: {
  state: AutoRefreshState<T>;
  /** What is loaded, for messages: `the fleet view`, `cluster sandbox-a`. */
  what: string;
  /** Errors as one line of text, for cards. */
  compact?: boolean;
  children: (value: T) => ReactNode;
}) {
  const { state, what, compact, children } = props;
  if (
    state.error &&
    (state.value === undefined || isAccessError(state.error))
  ) {
    return (
      <TenancyErrorView error={state.error} what={what} compact={compact} />
    );
  }
  if (state.value === undefined) {
    return <Progress />;
  }
  return (
    <>
      {state.error && (
        <Box sx={{ mb: 2 }}>
          <StaleDataWarning error={state.error} updatedAt={state.updatedAt} />
        </Box>
      )}
      {children(state.value)}
    </>
  );
}
