import LinearProgress, {
  linearProgressClasses,
} from '@mui/material/LinearProgress';
import { styled } from '@mui/material/styles';
import Typography from '@mui/material/Typography';
import type { QuotaUsage } from '@tenancy/plugin-tenancy-common';
import { memo } from 'react';

type Level = 'ok' | 'high' | 'full';

// Styled components, not sx or Box: a cluster page renders hundreds of bars.
const Row = styled('div')(({ theme }) => ({
  minWidth: 200,
  marginBottom: theme.spacing(0.75),
}));

const Label = styled('div')({
  display: 'flex',
  justifyContent: 'space-between',
});

const Amount = styled(Typography)(({ theme }) => ({
  whiteSpace: 'nowrap',
  marginLeft: theme.spacing(1),
})) as typeof Typography;

const Bar = styled(LinearProgress, {
  shouldForwardProp: prop => prop !== 'level',
})<{ level: Level }>(({ theme, level }) => ({
  height: 6,
  borderRadius: 3,
  backgroundColor: theme.palette.action.hover,
  [`& .${linearProgressClasses.bar}`]: {
    backgroundColor: {
      ok: theme.palette.primary.main,
      high: theme.palette.warning.main,
      full: theme.palette.error.main,
    }[level],
  },
}));

function levelOf(ratio: number): Level {
  if (ratio >= 1) return 'full';
  if (ratio >= 0.8) return 'high';
  return 'ok';
}

function QuotaBar({ usage }: { usage: QuotaUsage }) {
  const percent =
    usage.ratio === undefined ? undefined : Math.round(usage.ratio * 100);
  return (
    <Row>
      <Label>
        <Typography variant="caption" component="span" noWrap>
          {usage.resource}
        </Typography>
        <Amount variant="caption" component="span" color="text.secondary">
          {`${usage.used} / ${usage.hard}`}
          {percent === undefined ? '' : ` (${percent}%)`}
        </Amount>
      </Label>
      {usage.ratio !== undefined && (
        <Bar
          variant="determinate"
          value={Math.min(100, Math.max(0, percent ?? 0))}
          aria-label={`${usage.resource}: ${usage.used} of ${usage.hard} used`}
          level={levelOf(usage.ratio)}
        />
      )}
    </Row>
  );
}

function QuotaBarsView({ quota }: { quota: QuotaUsage[] }) {
  if (quota.length === 0) {
    return (
      <Typography variant="body2" color="text.secondary">
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
