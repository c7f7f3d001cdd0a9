import LinearProgress from '@material-ui/core/LinearProgress';
import { makeStyles } from '@material-ui/core/styles';
import Typography from '@material-ui/core/Typography';
import type { QuotaUsage } from '@tenancy/plugin-tenancy-common';
import { memo } from 'react';

// Static classes, not Box: a cluster page renders hundreds of bars, and each
// Box instance would add a style sheet of its own.
const useStyles = makeStyles(theme => ({
  row: { minWidth: 200, marginBottom: theme.spacing(0.75) },
  label: { display: 'flex', justifyContent: 'space-between' },
  amount: { whiteSpace: 'nowrap', marginLeft: theme.spacing(1) },
  track: {
    height: 6,
    borderRadius: 3,
    backgroundColor: theme.palette.action.hover,
  },
  ok: { backgroundColor: theme.palette.primary.main },
  high: { backgroundColor: theme.palette.warning.main },
  full: { backgroundColor: theme.palette.error.main },
}));

function level(ratio: number): 'ok' | 'high' | 'full' {
  if (ratio >= 1) return 'full';
  if (ratio >= 0.8) return 'high';
  return 'ok';
}

function QuotaBar({ usage }: { usage: QuotaUsage }) {
  const classes = useStyles();
  const percent =
    usage.ratio === undefined ? undefined : Math.round(usage.ratio * 100);
  return (
    <div className={classes.row}>
      <div className={classes.label}>
        <Typography variant="caption" component="span" noWrap>
          {usage.resource}
        </Typography>
        <Typography
          variant="caption"
          component="span"
          color="textSecondary"
          className={classes.amount}
        >
          {`${usage.used} / ${usage.hard}`}
          {percent === undefined ? '' : ` (${percent}%)`}
        </Typography>
      </div>
      {usage.ratio !== undefined && (
        <LinearProgress
          variant="determinate"
          value={Math.min(100, Math.max(0, percent ?? 0))}
          aria-label={`${usage.resource}: ${usage.used} of ${usage.hard} used`}
          classes={{ root: classes.track, bar: classes[level(usage.ratio)] }}
        />
      )}
    </div>
  );
}

function QuotaBarsView({ quota }: { quota: QuotaUsage[] }) {
  if (quota.length === 0) {
    return (
      <Typography variant="body2" color="textSecondary">
        No ResourceQuota
      </Typography>
    );
  }
  return (
    <div>
      {quota.map(usage => (
        <QuotaBar key={usage.resource} usage={usage} />
      ))}
    </div>
  );
}

/**
 * ResourceQuota used vs hard, one bar per resource. Memoised: tables render
 * their cells more than once, and a cluster page has hundreds of these.
 */
export const QuotaBars = memo(QuotaBarsView);

/** The fullest quota resource of a namespace, for sorting. */
export function fullestQuota(quota: QuotaUsage[]): number {
  return quota.reduce((max, q) => Math.max(max, q.ratio ?? 0), 0);
}
