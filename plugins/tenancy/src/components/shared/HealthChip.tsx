import Chip from '@material-ui/core/Chip';
import { makeStyles } from '@material-ui/core/styles';
import CheckCircleIcon from '@material-ui/icons/CheckCircle';
import ErrorIcon from '@material-ui/icons/Error';
import HelpIcon from '@material-ui/icons/Help';
import WarningIcon from '@material-ui/icons/Warning';
import type { HealthState } from '@tenancy/plugin-tenancy-common';
import { memo } from 'react';

const WORDS: Record<HealthState, string> = {
  healthy: 'Healthy',
  degraded: 'Degraded',
  failing: 'Failing',
  unknown: 'Unknown',
};

const ICONS: Record<HealthState, typeof CheckCircleIcon> = {
  healthy: CheckCircleIcon,
  degraded: WarningIcon,
  failing: ErrorIcon,
  unknown: HelpIcon,
};

function chipLabel(word: string, label?: string, count?: number): string {
  if (count !== undefined) return `${count} ${word.toLowerCase()}`;
  return label ? `${label}: ${word}` : word;
}

/** The word for a state, as every view shows it. */
export function healthWord(state: HealthState): string {
  return WORDS[state] ?? WORDS.unknown;
}

// Colours come from the theme's palette, so light and dark themes both keep
// their contrast; the word and the icon carry the meaning without colour.
const useStyles = makeStyles(theme => ({
  icon: { color: 'inherit' },
  healthy: {
    backgroundColor: theme.palette.success.main,
    color: theme.palette.getContrastText(theme.palette.success.main),
  },
  degraded: {
    backgroundColor: theme.palette.warning.main,
    color: theme.palette.getContrastText(theme.palette.warning.main),
  },
  failing: {
    backgroundColor: theme.palette.error.main,
    color: theme.palette.getContrastText(theme.palette.error.main),
  },
  unknown: {
    backgroundColor: theme.palette.action.selected,
    color: theme.palette.text.primary,
  },
}));

function HealthChipView(props: {
  state: HealthState;
  label?: string;
  /** How many are in this state: `2 failing`. */
  count?: number;
  size?: 'small' | 'medium';
}) {
  const { state, label, count, size = 'small' } = props;
  const classes = useStyles();
  const known: HealthState = WORDS[state] ? state : 'unknown';
  const Icon = ICONS[known];
  return (
    <Chip
      size={size}
      className={classes[known]}
      classes={{ icon: classes.icon }}
      icon={<Icon fontSize="small" />}
      label={chipLabel(healthWord(known), label, count)}
    />
  );
}

/** A health state as a coloured chip with its word, optionally prefixed (`sandbox-a: Failing`) or counted (`2 failing`). */
export const HealthChip = memo(HealthChipView);

const SEVERITY: Record<HealthState, number> = {
  healthy: 0,
  unknown: 1,
  degraded: 2,
  failing: 3,
};

/** Orders states from healthy (0) to failing (3), for sorting worst first. */
export function healthSeverity(state: HealthState): number {
  return SEVERITY[state] ?? SEVERITY.unknown;
}
