import { InfoCard } from '@backstage/core-components';
import Box from '@mui/material/Box';
import List from '@mui/material/List';
import ListItem from '@mui/material/ListItem';
import ListItemText from '@mui/material/ListItemText';
import Typography from '@mui/material/Typography';
import type { NamespaceSummary } from '@tenancy/plugin-tenancy-common';
import { HealthChip, PolicyBadges, QuotaBars } from '../shared';

/** Role names are long single words: wrap, never clip. */
const WRAP = { sx: { overflowWrap: 'anywhere' } } as const;

/** One namespace on one cluster: quota, policies, role bindings and workloads. */
export function NamespaceDetail({ ns }: { ns: NamespaceSummary }) {
  return (
    <>
      <Typography variant="subtitle2" gutterBottom>
        ResourceQuota
      </Typography>
      <QuotaBars quota={ns.quota} />
      <Box mt={2}>
        <PolicyBadges namespace={ns} />
      </Box>
      <Box mt={1}>
        <Typography variant="subtitle2">Role bindings</Typography>
        {ns.roleBindings.length === 0 ? (
          <Typography variant="body2" color="text.secondary">
            None
          </Typography>
        ) : (
          <List dense disablePadding>
            {ns.roleBindings.map(binding => (
              <ListItem key={binding.name} disableGutters>
                <ListItemText
                  primary={`${binding.name} → ${binding.role}`}
                  secondary={binding.subjects.join(', ') || 'no subjects'}
                  primaryTypographyProps={WRAP}
                  secondaryTypographyProps={WRAP}
                />
              </ListItem>
            ))}
          </List>
        )}
      </Box>
      <Typography variant="caption" color="text.secondary">
        {ns.workloads.total
          ? `${ns.workloads.healthy} / ${ns.workloads.total} workloads healthy`
          : 'No workloads'}
      </Typography>
    </>
  );
}

/** A namespace on one cluster as a card (the cluster and catalog pages). */
export function NamespaceCard({ ns }: { ns: NamespaceSummary }) {
  return (
    <InfoCard
      title={ns.name}
      titleTypographyProps={{ variant: 'h6' }}
      subheader={`on ${ns.cluster}${
        ns.environment ? ` (${ns.environment})` : ''
      }`}
      action={
        ns.workloads.total ? (
          <HealthChip state={ns.workloads.state} />
        ) : undefined
      }
    >
      <NamespaceDetail ns={ns} />
    </InfoCard>
  );
}
