import {
  InfoCard,
  Link,
  Progress,
  WarningPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { useEntityRefLink } from '@backstage/plugin-catalog-react';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Grid from '@mui/material/Grid';
import List from '@mui/material/List';
import ListItem from '@mui/material/ListItem';
import ListItemText from '@mui/material/ListItemText';
import Typography from '@mui/material/Typography';
import type {
  EntityHealth,
  HealthState,
  TeamHealth,
  TenantResponse,
} from '@tenancy/plugin-tenancy-common';
import { ReactNode, useCallback, useState } from 'react';
import { tenancyApiRef } from '../../api';
import {
  AsyncContent,
  AutoRefreshState,
  clusterErrorText,
  HealthChip,
  healthSeverity,
  isAccessError,
  RefreshStatus,
  shortRef,
  TenancyErrorView,
  useAutoRefresh,
} from '../shared';
import { ClusterAccessCard } from '../ClusterAccess';
import { OpenPodsButton } from '../Troubleshoot';
import { AccountsTable } from './AccountsTable';
import { NamespaceMatrix } from './NamespaceMatrix';

export { NamespaceCard } from './NamespaceCard';

function ClusterErrors({ tenant }: { tenant: TenantResponse }) {
  if (tenant.clusterErrors.length === 0) return null;
  return (
    <Box mb={2}>
      <WarningPanel
        title={`${tenant.clusterErrors.length} ${
          tenant.clusterErrors.length === 1 ? 'cluster' : 'clusters'
        } could not be read: the team's namespaces there are missing below`}
        defaultExpanded
      >
        <List dense disablePadding>
          {tenant.clusterErrors.map(({ cluster, error }) => (
            <ListItem key={cluster} disableGutters>
              <ListItemText
                primary={cluster}
                secondary={clusterErrorText(error)}
              />
            </ListItem>
          ))}
        </List>
      </WarningPanel>
    </Box>
  );
}

/** An unhealthy service's workloads that are not healthy, each with its pods one click away. */
function FailingWorkloads({ entityRef }: { entityRef: string }) {
  const api = useApi(tenancyApiRef);
  const load = useCallback(
    () => api.getEntityHealth(entityRef),
    [api, entityRef],
  );
  const state = useAutoRefresh<EntityHealth>(load, `health:${entityRef}`);
  return (
    <Box sx={{ pl: 2, pb: 1 }}>
      <AsyncContent
        state={state}
        what={`the workloads of ${entityRef}`}
        compact
      >
        {health => {
          const workloads = health.clusters.flatMap(c =>
            c.workloads
              .filter(w => w.state !== 'healthy')
              .map(w => ({ ...w, cluster: c.cluster })),
          );
          if (workloads.length === 0) {
            return (
              <Typography variant="body2" color="text.secondary">
                No unhealthy workload now.
              </Typography>
            );
          }
          return (
            <List dense disablePadding>
              {workloads.map(w => (
                <ListItem
                  key={`${w.cluster}/${w.namespace}/${w.kind}/${w.name}`}
                  disableGutters
                  secondaryAction={
                    <OpenPodsButton
                      workload={{
                        cluster: w.cluster,
                        namespace: w.namespace,
                        kind: w.kind,
                        name: w.name,
                      }}
                    />
                  }
                  sx={{ pr: 16 }}
                >
                  <ListItemText
                    primary={`${w.kind} ${w.namespace}/${w.name} on ${w.cluster}`}
                    secondary={`${w.ready}/${w.desired} ready, ${
                      w.restarts
                    } restarts${
                      w.crashLooping ? `, ${w.crashLooping} crash-looping` : ''
                    }`}
                    primaryTypographyProps={{
                      sx: { overflowWrap: 'anywhere' },
                    }}
                  />
                </ListItem>
              ))}
            </List>
          );
        }}
      </AsyncContent>
    </Box>
  );
}

const ORDER: HealthState[] = ['failing', 'degraded', 'unknown', 'healthy'];

function HealthRollup({ state }: { state: AutoRefreshState<TeamHealth> }) {
  return (
    <InfoCard
      title="Health of what the team owns"
      titleTypographyProps={{ variant: 'h6' }}
    >
      <AsyncContent state={state} what="the health of the team's services">
        {health => <HealthList health={health} />}
      </AsyncContent>
    </InfoCard>
  );
}

function HealthList({ health }: { health: TeamHealth }) {
  const entityLink = useEntityRefLink();
  const [open, setOpen] = useState<string>();
  const entities = [...health.entities].sort(
    (a, b) =>
      healthSeverity(b.state) - healthSeverity(a.state) ||
      a.entityRef.localeCompare(b.entityRef),
  );
  const counts = ORDER.map(state => ({
    state,
    count: entities.filter(e => e.state === state).length,
  })).filter(c => c.count > 0);
  return (
    <>
      {entities.length === 0 ? (
        <Typography variant="body2" color="text.secondary">
          This team owns no Components. Set a Component's spec.owner to this
          group to see its health here.
        </Typography>
      ) : (
        <>
          <Box display="flex" flexWrap="wrap" mb={1}>
            {counts.map(({ state, count }) => (
              <Box key={state} mr={1} mb={1}>
                <HealthChip state={state} count={count} />
              </Box>
            ))}
          </Box>
          <List dense disablePadding>
            {entities.map(entity => {
              const name =
                entity.title ?? shortRef(entity.entityRef, 'component');
              const unhealthy = healthSeverity(entity.state) >= 2;
              return (
                <ListItem
                  key={entity.entityRef}
                  disableGutters
                  sx={{ flexWrap: 'wrap' }}
                >
                  <Box mr={1}>
                    <HealthChip state={entity.state} />
                  </Box>
                  <ListItemText
                    primary={
                      <Link to={`${entityLink(entity.entityRef)}/health`}>
                        {name}
                      </Link>
                    }
                    secondary={`${entity.clusters} ${
                      entity.clusters === 1 ? 'cluster' : 'clusters'
                    }`}
                  />
                  {unhealthy && (
                    <Button
                      size="small"
                      aria-expanded={open === entity.entityRef}
                      aria-label={`${
                        open === entity.entityRef ? 'Hide' : 'Troubleshoot'
                      } ${name}`}
                      onClick={() =>
                        setOpen(o =>
                          o === entity.entityRef ? undefined : entity.entityRef,
                        )
                      }
                    >
                      {open === entity.entityRef ? 'Hide' : 'Troubleshoot'}
                    </Button>
                  )}
                  {open === entity.entityRef && (
                    <Box sx={{ flexBasis: '100%' }}>
                      <FailingWorkloads entityRef={entity.entityRef} />
                    </Box>
                  )}
                </ListItem>
              );
            })}
          </List>
        </>
      )}
    </>
  );
}

/**
 * A team's tenancy: its namespaces across clusters (a namespace × cluster
 * matrix with health, quota and policies), kubectl access to them, the
 * health of what it owns with troubleshooting one click away, and its AWS
 * accounts.
 */
export function TenantView({ groupRef }: { groupRef: string }) {
  const api = useApi(tenancyApiRef);
  // Two loads, each with its own outcome: the namespaces show as soon as they
  // arrive, a failing health rollup does not hide them (nor the other way
  // round), and a failed reload of either keeps its last answer.
  const loadTenant = useCallback(
    () => api.getTenant(groupRef),
    [api, groupRef],
  );
  const loadHealth = useCallback(
    () => api.getTeamHealth(groupRef),
    [api, groupRef],
  );
  const tenant = useAutoRefresh(loadTenant, `tenant:${groupRef}`);
  const health = useAutoRefresh(loadHealth, `team-health:${groupRef}`);
  const { refresh: refreshTenant } = tenant;
  const { refresh: refreshHealth } = health;
  const refresh = useCallback(() => {
    refreshTenant();
    refreshHealth();
  }, [refreshTenant, refreshHealth]);
  const what = `the tenancy of ${groupRef}`;

  let content: ReactNode;
  if (
    tenant.error &&
    (tenant.value === undefined || isAccessError(tenant.error))
  ) {
    content = (
      <>
        <TenancyErrorView error={tenant.error} what={what} />
        {!isAccessError(tenant.error) && (
          <Box mt={2}>
            <HealthRollup state={health} />
          </Box>
        )}
      </>
    );
  } else if (tenant.value === undefined) {
    content = <Progress />;
  } else {
    const value = tenant.value;
    content = (
      <Grid container spacing={3}>
        <Grid item xs={12}>
          <Typography variant="h6" component="h2" gutterBottom>
            Namespaces
          </Typography>
          <AsyncContent state={tenant} what={what}>
            {() => (
              <>
                <ClusterErrors tenant={value} />
                <NamespaceMatrix tenant={value} />
              </>
            )}
          </AsyncContent>
        </Grid>
        <Grid item xs={12}>
          <ClusterAccessCard groupRef={groupRef} />
        </Grid>
        <Grid item xs={12} lg={5}>
          <HealthRollup state={health} />
        </Grid>
        <Grid item xs={12} lg={7}>
          <AccountsTable accounts={value.accounts} tenant={value.tenant} />
        </Grid>
      </Grid>
    );
  }

  return (
    <>
      <Box mb={1}>
        <RefreshStatus
          updatedAt={tenant.updatedAt}
          loading={tenant.loading || health.loading}
          onRefresh={refresh}
        />
      </Box>
      {content}
    </>
  );
}
