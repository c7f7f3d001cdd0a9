import Box from '@material-ui/core/Box';
import CircularProgress from '@material-ui/core/CircularProgress';
import IconButton from '@material-ui/core/IconButton';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import RefreshIcon from '@material-ui/icons/Refresh';
import { useEffect, useState } from 'react';
import { REFRESH_INTERVAL_MS } from './useAutoRefresh';

/** `Updated 12 s ago`, `Updated 3 min ago`. */
export function formatAge(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `Updated ${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `Updated ${minutes} min ago`;
  return `Updated ${Math.floor(minutes / 60)} h ago`;
}

/** How old the shown data is, ticking every second, and a refresh button. */
export function RefreshStatus(props: {
  updatedAt?: number;
  loading: boolean;
  onRefresh: () => void;
}) {
  const { updatedAt, loading, onRefresh } = props;
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  // The tick may lag a fresh load by up to a second: never show a future age.
  const text =
    updatedAt === undefined
      ? 'Loading…'
      : formatAge(Math.max(now, updatedAt) - updatedAt);

  return (
    <Box display="flex" alignItems="center" justifyContent="flex-end">
      <Tooltip
        title={`Refreshes every ${Math.round(REFRESH_INTERVAL_MS / 1000)} s`}
      >
        <Typography variant="body2" color="textSecondary" component="span">
          {text}
        </Typography>
      </Tooltip>
      <Box ml={1}>
        <IconButton
          aria-label="Refresh"
          size="small"
          onClick={onRefresh}
          disabled={loading}
        >
          {loading ? (
            <CircularProgress size={18} aria-label="Refreshing" />
          ) : (
            <RefreshIcon fontSize="small" />
          )}
        </IconButton>
      </Box>
    </Box>
  );
}
