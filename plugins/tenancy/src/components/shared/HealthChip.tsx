import CheckCircleIcon from '@mui/icons-material/CheckCircle';
import ErrorIcon from '@mui/icons-material/Error';
import HelpIcon from '@mui/icons-material/Help';
import WarningIcon from '@mui/icons-material/Warning';
import Chip, { chipClasses } from '@mui/material/Chip';
import { styled } from '@mui/material/styles';
import type { HealthState } from '@tenancy/plugin-tenancy-common';
import { memo } from 'react';
import { textOn } from './textColors';

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

const COLORS: Record<HealthState, 'success' | 'warning' | 'error' | 'default'> =
  {
    healthy: 'success',
    degraded: 'warning',
    failing: 'error',
    unknown: 'default',
  };

// Colours come from the theme's palette, so light and dark themes both look
// right; the word and the icon carry the meaning without colour. The text is
// the theme's black or white, whichever reads better on the chip: the
// palette's contrastText only promises 3:1 (white on the light theme's
// warning orange, on the dark theme's error red).
const StateChip = styled(Chip)(({ theme, color }) => ({
  ...(color &&
    color !== 'default' && {
      color: textOn(theme, theme.palette[color].main),
    }),
  [`& .${chipClasses.icon}`]: { color: 'inherit' },
}));

function HealthChipView(props: {
  state: HealthState;
  label?: string;
  /** How many are in this state: `2 failing`. */
  count?: number;
  size?: 'small' | 'medium';
}) {
  const { state, label, count, size = 'small' } = props;
  const known: HealthState = WORDS[state] ? state : 'unknown';
  const Icon = ICONS[known];
  return (
    <StateChip
      size={size}
      color={COLORS[known]}
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
