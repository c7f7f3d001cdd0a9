import {
  EmptyState,
  InfoCard,
  Link,
  WarningPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import {
  EntityRefLink,
  useEntityRefLink,
} from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import Grid from '@material-ui/core/Grid';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemText from '@material-ui/core/ListItemText';
import Typography from '@material-ui/core/Typography';
import type {
  HealthState,
  NamespaceSummary,
  TeamHealth,
  TenantResponse,
} from '@tenancy/plugin-tenancy-common';
import { useCallback } from 'react';
import { tenancyApiRef } from '../../api';
import {
  AsyncContent,
  clusterErrorText,
  HealthChip,
  healthSeverity,
  isAccessError,
  PolicyBadges,
  QuotaBars,
  RefreshStatus,
  shortRef,
  TenancyErrorView,
  useAutoRefresh,
} from '../shared';

interface TenantData {
  tenant: PromiseSettledResult<TenantResponse>;
  health: PromiseSettledResult<TeamHealth>;
}

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
          <Typography variant="body2" color="textSecondary">
            None
          </Typography>
        ) : (
          <List dense disablePadding>
            {ns.roleBindings.map(binding => (
              <ListItem key={binding.name} disableGutters>
                <ListItemText
                  primary={`${binding.name} → ${binding.role}`}
                  secondary={binding.subjects.join(', ') || 'no subjects'}
                  // Role names are long single words: wrap, never clip.
                  primaryTypographyProps={{
                    style: { overflowWrap: 'anywhere' },
                  }}
                  secondaryTypographyProps={{
                    style: { overflowWrap: 'anywhere' },
                  }}
                />
              </ListItem>
            ))}
          </List>
        )}
      </Box>
      <Typography variant="caption" color="textSecondary">
        {ns.workloads.total
          ? `${ns.workloads.healthy} / ${ns.workloads.total} workloads healthy`
          : 'No workloads'}
      </Typography>
    </InfoCard>
  );
}

function Namespaces({ tenant }: { tenant: TenantResponse }) {
  const namespaces = [...tenant.namespaces].sort(
    (a, b) =>
      a.name.localeCompare(b.name) || a.cluster.localeCompare(b.cluster),
  );
  return (
    <>
      {tenant.clusterErrors.length > 0 && (
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
      )}
      {namespaces.length === 0 ? (
        <EmptyState
          missing="data"
          title="No namespaces for this team"
          description="Onboard one with the “Onboard a team namespace” template on the Create page; it shows here after the next refresh."
        />
      ) : (
        <Grid container spacing={2}>
          {namespaces.map(ns => (
            <Grid item xs={12} md={6} key={`${ns.cluster}/${ns.name}`}>
              <NamespaceCard ns={ns} />
            </Grid>
          ))}
        </Grid>
      )}
    </>
  );
}

function Accounts({ tenant }: { tenant: TenantResponse }) {
  return (
    <InfoCard title="AWS accounts" titleTypographyProps={{ variant: 'h6' }}>
      {tenant.accounts.length === 0 ? (
        <Typography variant="body2" color="textSecondary">
          No AWS accounts for this team. Accounts are catalog Resources of type
          cloud-account owned by the team.
        </Typography>
      ) : (
        <List dense disablePadding>
          {tenant.accounts.map(account => (
            <ListItem key={account.entityRef} disableGutters>
              <ListItemText
                primary={
                  <EntityRefLink
                    entityRef={account.entityRef}
                    defaultKind="resource"
                    title={account.title}
                  />
                }
                secondary={
                  account.accountId
                    ? `Account ${account.accountId}`
                    : 'Account id not known yet'
                }
              />
            </ListItem>
          ))}
        </List>
      )}
    </InfoCard>
  );
}

const ORDER: HealthState[] = ['failing', 'degraded', 'unknown', 'healthy'];

function HealthRollup({ result }: { result: TenantData['health'] }) {
  const entityLink = useEntityRefLink();
  if (result.status === 'rejected') {
    return (
      <InfoCard
        title="Health of what the team owns"
        titleTypographyProps={{ variant: 'h6' }}
      >
        <TenancyErrorView
          error={result.reason}
          what="the health of the team's services"
        />
      </InfoCard>
    );
  }
  const entities = [...result.value.entities].sort(
    (a, b) =>
      healthSeverity(b.state) - healthSeverity(a.state) ||
      a.entityRef.localeCompare(b.entityRef),
  );
  const counts = ORDER.map(state => ({
    state,
    count: entities.filter(e => e.state === state).length,
  })).filter(c => c.count > 0);
  return (
    <InfoCard
      title="Health of what the team owns"
      titleTypographyProps={{ variant: 'h6' }}
    >
      {entities.length === 0 ? (
        <Typography variant="body2" color="textSecondary">
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
            {entities.map(entity => (
              <ListItem key={entity.entityRef} disableGutters>
                <Box mr={1}>
                  <HealthChip state={entity.state} />
                </Box>
                <ListItemText
                  primary={
                    <Link to={`${entityLink(entity.entityRef)}/health`}>
                      {entity.title ?? shortRef(entity.entityRef, 'component')}
                    </Link>
                  }
                  secondary={`${entity.clusters} ${
                    entity.clusters === 1 ? 'cluster' : 'clusters'
                  }`}
                />
              </ListItem>
            ))}
          </List>
        </>
      )}
    </InfoCard>
  );
}

/**
 * A team's tenancy: its namespaces across clusters with quota use and
 * policies, its AWS accounts, and the health of what it owns.
 */
export function TenantView({ groupRef }: { groupRef: string }) {
  const api = useApi(tenancyApiRef);
  // One load for both calls: each keeps its own outcome, so a failing health
  // rollup does not hide the namespaces (nor the other way round).
  const load = useCallback(async (): Promise<TenantData> => {
    const [tenant, health] = await Promise.allSettled([
      api.getTenant(groupRef),
      api.getTeamHealth(groupRef),
    ]);
    return { tenant, health };
  }, [api, groupRef]);
  const state = useAutoRefresh(load, `tenant:${groupRef}`);

  return (
    <>
      <Box mb={1}>
        <RefreshStatus
          updatedAt={state.updatedAt}
          loading={state.loading}
          onRefresh={state.refresh}
        />
      </Box>
      <AsyncContent state={state} what={`the tenancy of ${groupRef}`}>
        {({ tenant, health }) => {
          if (tenant.status === 'rejected') {
            return (
              <>
                <TenancyErrorView
                  error={tenant.reason}
                  what={`the tenancy of ${groupRef}`}
                />
                {!isAccessError(tenant.reason) && (
                  <Box mt={2}>
                    <HealthRollup result={health} />
                  </Box>
                )}
              </>
            );
          }
          return (
            <Grid container spacing={3}>
              <Grid item xs={12} lg={8}>
                <Typography variant="h6" component="h2" gutterBottom>
                  Namespaces
                </Typography>
                <Namespaces tenant={tenant.value} />
              </Grid>
              <Grid item xs={12} lg={4}>
                <HealthRollup result={health} />
                <Box mt={3}>
                  <Accounts tenant={tenant.value} />
                </Box>
              </Grid>
            </Grid>
          );
        }}
      </AsyncContent>
    </>
  );
}
