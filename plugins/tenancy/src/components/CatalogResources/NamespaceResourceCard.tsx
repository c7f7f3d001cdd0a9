import { Link as RouterLink } from 'react-router-dom';
import { EmptyState, InfoCard } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Grid from '@mui/material/Grid';
import Typography from '@mui/material/Typography';
import { useCallback } from 'react';
import { tenancyApiRef } from '../../api';
import {
  AsyncContent,
  clusterErrorText,
  errorText,
  namespaceResourceOf,
  offboardLink,
  ownerRefOf,
  RefreshStatus,
  resizeLink,
  useAutoRefresh,
} from '../shared';
import { NamespaceCard } from '../TenantPage/TenantView';

/**
 * The overview card of a `kubernetes-namespace` Resource: the namespace on
 * each cluster of its environment — quota used against hard, LimitRange,
 * NetworkPolicies, role bindings and workloads — read from the team's view,
 * so the same permissions apply as on the team page.
 */
export function NamespaceResourceCard() {
  const { entity } = useEntity();
  const { namespace, environment, clusters } = namespaceResourceOf(entity);
  const owner = ownerRefOf(entity);
  const api = useApi(tenancyApiRef);
  const load = useCallback(async () => {
    const tenant = await api.getTenant(owner);
    return {
      ...tenant,
      // This entity's clusters only: the same name in another environment
      // is another entity.
      namespaces: tenant.namespaces.filter(
        n =>
          n.name === namespace &&
          (clusters.length
            ? clusters.includes(n.cluster)
            : !environment || n.environment === environment),
      ),
      clusterErrors: tenant.clusterErrors.filter(e =>
        clusters.includes(e.cluster),
      ),
    };
    // clusters is derived from the entity, like namespace and environment.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, owner, namespace, environment, clusters.join(',')]);
  const state = useAutoRefresh(
    load,
    `namespace:${owner}:${namespace}:${environment}:${clusters.join(',')}`,
  );

  return (
    <InfoCard
      title={`Namespace ${namespace}${environment ? ` in ${environment}` : ''}`}
      subheader="Quota, policies, role bindings and workloads on each cluster"
    >
      <Box
        sx={{
          mb: 1,
          display: 'flex',
          alignItems: 'center',
          justifyContent: 'space-between',
          gap: 1,
          flexWrap: 'wrap',
        }}
      >
        <RefreshStatus
          updatedAt={state.updatedAt}
          loading={state.loading}
          onRefresh={state.refresh}
        />
        {/* Only to those who may see the team's namespaces (its members
            and the platform team): the template checks again. */}
        {environment && state.value && (
          <Box sx={{ display: 'flex', gap: 1 }}>
            <Button
              component={RouterLink}
              to={resizeLink({ tenant: owner, namespace, environment })}
              size="small"
              variant="outlined"
            >
              Resize…
            </Button>
            <Button
              component={RouterLink}
              to={offboardLink({ tenant: owner, namespace, environment })}
              size="small"
              variant="outlined"
              color="error"
            >
              Offboard…
            </Button>
          </Box>
        )}
      </Box>
      <AsyncContent state={state} what={`namespace ${namespace}`}>
        {view => (
          <>
            {view.clusterErrors.map(e => (
              <Typography
                key={e.cluster}
                variant="body2"
                sx={{ color: errorText }}
              >
                {e.cluster}: {clusterErrorText(e.error)}
              </Typography>
            ))}
            {view.namespaces.length === 0 ? (
              <EmptyState
                missing="data"
                title={`${namespace} is not on any cluster right now`}
                description="It may have just been offboarded; the catalog drops it at its next refresh."
              />
            ) : (
              <Grid container spacing={2}>
                {view.namespaces.map(ns => (
                  <Grid item xs={12} md={6} xl={4} key={ns.cluster}>
                    <NamespaceCard ns={ns} />
                  </Grid>
                ))}
              </Grid>
            )}
          </>
        )}
      </AsyncContent>
    </InfoCard>
  );
}
