import { InfoCard } from '@backstage/core-components';
import { useEntity, useEntityRefLink } from '@backstage/plugin-catalog-react';
import { stringifyEntityRef } from '@backstage/catalog-model';
import Box from '@mui/material/Box';
import Typography from '@mui/material/Typography';
import { AsyncContent, HealthChip, RefreshStatus } from '../shared';
import { useEntityHealth } from './useEntityHealth';

/** The overview card of a Component: its overall state and one chip per cluster. */
export function EntityHealthCard() {
  const { entity } = useEntity();
  const entityLink = useEntityRefLink();
  const state = useEntityHealth(stringifyEntityRef(entity));

  return (
    <InfoCard
      title="Health"
      deepLink={{ link: `${entityLink(entity)}/health`, title: 'View health' }}
      action={
        <RefreshStatus
          updatedAt={state.updatedAt}
          loading={state.loading}
          onRefresh={state.refresh}
        />
      }
    >
      <AsyncContent state={state} what="the health of this component" compact>
        {health =>
          health.clusters.length === 0 ? (
            <Typography variant="body2" color="text.secondary">
              No workloads found on any cluster for this component.
            </Typography>
          ) : (
            <>
              <Box sx={{ mb: 1 }}>
                <HealthChip state={health.state} size="medium" />
              </Box>
              <Box sx={{ display: 'flex', flexWrap: 'wrap' }}>
                {health.clusters.map(c => (
                  <Box key={c.cluster} sx={{ mr: 1, mb: 1 }}>
                    <HealthChip state={c.state} label={c.cluster} />
                  </Box>
                ))}
              </Box>
            </>
          )
        }
      </AsyncContent>
    </InfoCard>
  );
}
