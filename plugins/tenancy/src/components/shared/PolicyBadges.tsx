import CheckIcon from '@mui/icons-material/Check';
import ReportProblemIcon from '@mui/icons-material/ReportProblemOutlined';
import Chip, { chipClasses } from '@mui/material/Chip';
import { styled } from '@mui/material/styles';
import type { NamespaceSummary } from '@tenancy/plugin-tenancy-common';
import { memo } from 'react';

// Styled components, not sx: a cluster page renders hundreds of these. The
// border takes the state's colour; the text stays the theme's text colour,
// readable in both themes, and the words and icons carry the meaning.
const Badges = styled('div')({ display: 'flex', flexWrap: 'wrap' });

const BadgeChip = styled(Chip, {
  shouldForwardProp: prop => prop !== 'ok',
})<{ ok: boolean }>(({ theme, ok }) => ({
  margin: theme.spacing(0, 0.5, 0.5, 0),
  borderColor: ok ? theme.palette.success.main : theme.palette.warning.main,
  color: theme.palette.text.primary,
  [`& .${chipClasses.icon}`]: { color: 'inherit' },
}));

function Badge({ ok, label }: { ok: boolean; label: string }) {
  return (
    <BadgeChip
      ok={ok}
      size="small"
      variant="outlined"
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
  const { limitRange, networkPolicies } = namespace;
  let policies = 'No NetworkPolicy';
  if (networkPolicies.count > 0) {
    policies = `NetworkPolicy ×${networkPolicies.count}${
      networkPolicies.defaultDeny ? ' · default deny' : ''
    }`;
  }
  return (
    <Badges>
      <Badge
        ok={limitRange}
        label={limitRange ? 'LimitRange' : 'No LimitRange'}
      />
      <Badge ok={networkPolicies.count > 0} label={policies} />
    </Badges>
  );
}

/** Whether a namespace has the tenant baseline's LimitRange and NetworkPolicies. */
export const PolicyBadges = memo(PolicyBadgesView);
