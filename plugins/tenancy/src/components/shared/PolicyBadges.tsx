import Chip from '@material-ui/core/Chip';
import { makeStyles } from '@material-ui/core/styles';
import CheckIcon from '@material-ui/icons/Check';
import ReportProblemIcon from '@material-ui/icons/ReportProblemOutlined';
import type { NamespaceSummary } from '@tenancy/plugin-tenancy-common';
import { memo } from 'react';

// Static classes, not Box: a cluster page renders hundreds of these, and
// each Box instance would add a style sheet of its own.
const useStyles = makeStyles(theme => ({
  badges: { display: 'flex', flexWrap: 'wrap' },
  chip: { margin: theme.spacing(0, 0.5, 0.5, 0) },
  present: {
    borderColor: theme.palette.success.main,
    color: theme.palette.text.primary,
  },
  missing: {
    borderColor: theme.palette.warning.main,
    color: theme.palette.text.primary,
  },
  icon: { color: 'inherit' },
}));

function Badge({ ok, label }: { ok: boolean; label: string }) {
  const classes = useStyles();
  return (
    <Chip
      size="small"
      variant="outlined"
      className={`${classes.chip} ${ok ? classes.present : classes.missing}`}
      classes={{ icon: classes.icon }}
      icon={
        ok ? (
          <CheckIcon fontSize="small" />
        ) : (
          <ReportProblemIcon fontSize="small" />
        )
      }
      label={label}
    />
  );
}

function PolicyBadgesView({
  namespace,
}: {
  namespace: Pick<NamespaceSummary, 'limitRange' | 'networkPolicies'>;
}) {
  const classes = useStyles();
  const { limitRange, networkPolicies } = namespace;
  let policies = 'No NetworkPolicy';
  if (networkPolicies.count > 0) {
    policies = `NetworkPolicy ×${networkPolicies.count}${
      networkPolicies.defaultDeny ? ' · default deny' : ''
    }`;
  }
  return (
    <div className={classes.badges}>
      <Badge
        ok={limitRange}
        label={limitRange ? 'LimitRange' : 'No LimitRange'}
      />
      <Badge ok={networkPolicies.count > 0} label={policies} />
    </div>
  );
}

/** Whether a namespace has the tenant baseline's LimitRange and NetworkPolicies. */
export const PolicyBadges = memo(PolicyBadgesView);
