import RefreshIcon from '@mui/icons-material/Refresh';
import Box from '@mui/material/Box';
import CircularProgress from '@mui/material/CircularProgress';
import IconButton from '@mui/material/IconButton';
import Tooltip from '@mui/material/Tooltip';
import Typography from '@mui/material/Typography';
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
    <Box
      sx={{ display: 'flex', alignItems: 'center', justifyContent: 'flex-end' }}
    >
      {/* describeChild: the tooltip describes the age, it does not rename it
          (and a plain span may not carry an aria-label). */}
      <Tooltip
        title={`Refreshes every ${Math.round(REFRESH_INTERVAL_MS / 1000)} s`}
        describeChild
      >
        <Typography variant="body2" color="text.secondary" component="span">
          {text}
        </Typography>
      </Tooltip>
      <Box sx={{ ml: 1 }}>
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
