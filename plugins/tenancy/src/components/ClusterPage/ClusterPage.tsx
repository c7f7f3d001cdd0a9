import {
  Content,
  ContentHeader,
  EmptyState,
  Link,
  Table,
  TableColumn,
  WarningPanel,
} from '@backstage/core-components';
import {
  useApi,
  useRouteRef,
  useRouteRefParams,
} from '@backstage/frontend-plugin-api';
import { useEntityRefLink } from '@backstage/plugin-catalog-react';
import Box from '@mui/material/Box';
import Chip from '@mui/material/Chip';
import Typography from '@mui/material/Typography';
import type {
  ClusterDetail,
  NamespaceSummary,
} from '@tenancy/plugin-tenancy-common';
import { useCallback, useMemo } from 'react';
import { tenancyApiRef } from '../../api';
import { clusterRouteRef, rootRouteRef } from '../../routes';
import {
  AsyncContent,
  clusterErrorText,
  fullestQuota,
  HealthChip,
  healthSeverity,
  healthWord,
  PolicyBadges,
  QuotaBars,
  RefreshStatus,
  shortRef,
  useAutoRefresh,
} from '../shared';

interface NamespaceRow {
  ns: NamespaceSummary;
  name: string;
  tenant: string;
  health: string;
  policies: string;
  roleBindings: number;
}

function toRow(ns: NamespaceSummary): NamespaceRow {
  return {
    ns,
    name: ns.name,
    tenant: ns.tenant ? shortRef(ns.tenant, 'group') : '—',
    health: ns.workloads.total
      ? healthWord(ns.workloads.state)
      : 'No workloads',
    policies: [
      ns.limitRange ? 'LimitRange' : 'No LimitRange',
      ns.networkPolicies.count ? 'NetworkPolicy' : 'No NetworkPolicy',
      ns.networkPolicies.defaultDeny ? 'default deny' : '',
    ].join(' '),
    roleBindings: ns.roleBindings.length,
  };
}

const PAGE_SIZE = 50;

// Plain links rather than EntityRefLink: with hundreds of rows, each
// EntityRefLink's tooltip, styles and catalog lookup add up.
function namespaceColumns(
  entityLink: (ref: string) => string,
): TableColumn<NamespaceRow>[] {
  return [
    {
      title: 'Namespace',
      field: 'name',
      highlight: true,
      render: row => (
        <>
          {row.name}
          {row.ns.phase && row.ns.phase !== 'Active' && (
            <Typography
              variant="caption"
              color="text.secondary"
              component="div"
            >
              {row.ns.phase}
            </Typography>
          )}
        </>
      ),
    },
    {
      title: 'Tenant',
      field: 'tenant',
      render: row =>
        row.ns.tenant ? (
          <Link to={entityLink(row.ns.tenant)}>
            {shortRef(row.ns.tenant, 'group')}
          </Link>
        ) : (
          '—'
        ),
    },
    {
      title: 'Health',
      field: 'health',
      customSort: (a, b) =>
        healthSeverity(a.ns.workloads.state) -
          healthSeverity(b.ns.workloads.state) ||
        a.ns.workloads.total - b.ns.workloads.total,
      render: row =>
        row.ns.workloads.total ? (
          <>
            <HealthChip state={row.ns.workloads.state} />
            <Typography
              variant="caption"
              color="text.secondary"
              component="div"
            >
              {`${row.ns.workloads.healthy} / ${row.ns.workloads.total} workloads healthy`}
            </Typography>
          </>
        ) : (
          <Typography variant="body2" color="text.secondary">
            No workloads
          </Typography>
        ),
    },
    {
      title: 'Quota used / hard',
      sorting: true,
      cellStyle: { minWidth: 240 },
      customSort: (a, b) => fullestQuota(a.ns.quota) - fullestQuota(b.ns.quota),
      render: row => <QuotaBars quota={row.ns.quota} />,
    },
    {
      title: 'Policies',
      field: 'policies',
      render: row => <PolicyBadges namespace={row.ns} />,
    },
    {
      title: 'Role bindings',
      field: 'roleBindings',
      type: 'numeric',
      align: 'left',
    },
  ];
}

export function ClusterFacts({ cluster }: { cluster: ClusterDetail }) {
  const facts = [
    cluster.environment && `Environment: ${cluster.environment}`,
    cluster.version && `Version: ${cluster.version}`,
    cluster.reachable
      ? `Reachable${
          cluster.latencyMs === undefined ? '' : ` · ${cluster.latencyMs} ms`
        }`
      : 'Unreachable',
    cluster.nodes &&
      `Nodes: ${cluster.nodes.ready} / ${cluster.nodes.total} ready`,
    cluster.namespaces !== undefined && `Namespaces: ${cluster.namespaces}`,
    cluster.tenants !== undefined && `Tenants: ${cluster.tenants}`,
  ].filter((f): f is string => Boolean(f));
  return (
    <Box sx={{ display: 'flex', flexWrap: 'wrap', mb: 2 }}>
      {facts.map(fact => (
        <Box key={fact} sx={{ mr: 1, mb: 1 }}>
          <Chip size="small" variant="outlined" label={fact} />
        </Box>
      ))}
    </Box>
  );
}

function ClusterNamespaces({ cluster }: { cluster: ClusterDetail }) {
  const entityLink = useEntityRefLink();
  const columns = useMemo(() => namespaceColumns(entityLink), [entityLink]);
  const rows = useMemo(
    () => cluster.namespaceDetails.map(toRow),
    [cluster.namespaceDetails],
  );
  if (cluster.error) {
    return (
      <WarningPanel
        severity="error"
        title={`${cluster.name} could not be read`}
        message={`${clusterErrorText(
          cluster.error,
        )}. Its namespaces show again once the backend reads it.`}
      />
    );
  }
  if (rows.length === 0) {
    return (
      <EmptyState
        missing="data"
        title="No namespaces"
        description="Onboard a tenant namespace on this cluster's environment with the “Onboard a team namespace” template."
      />
    );
  }
  return (
    // minWidth 0: the table then scrolls sideways in its own container when
    // it is wider than the page, rather than widening the page.
    <Table<NamespaceRow>
      columns={columns}
      data={rows}
      style={{ minWidth: 0 }}
      options={{
        search: true,
        paging: rows.length > PAGE_SIZE,
        pageSize: PAGE_SIZE,
        pageSizeOptions: [20, PAGE_SIZE, 100, 500],
        padding: 'dense',
        // Column drag handles are focusable inside the sort buttons
        // (axe: nested-interactive); nobody reorders these columns.
        draggable: false,
      }}
      filters={[
        { column: 'Tenant', type: 'multiple-select' },
        { column: 'Health', type: 'multiple-select' },
      ]}
    />
  );
}

/** One cluster: its namespaces with tenant, quota use, policies and health. */
export function ClusterPage() {
  const { name } = useRouteRefParams(clusterRouteRef);
  const api = useApi(tenancyApiRef);
  const fleetLink = useRouteRef(rootRouteRef);
  const load = useCallback(() => api.getCluster(name), [api, name]);
  const state = useAutoRefresh(load, `cluster:${name}`);

  return (
    <Content>
      <ContentHeader title={`Cluster ${name}`}>
        <RefreshStatus
          updatedAt={state.updatedAt}
          loading={state.loading}
          onRefresh={state.refresh}
        />
      </ContentHeader>
      {fleetLink && (
        <Box sx={{ mb: 2 }}>
          <Link to={fleetLink()}>← All clusters</Link>
        </Box>
      )}
      <AsyncContent state={state} what={`cluster ${name}`}>
        {cluster => (
          <>
            <ClusterFacts cluster={cluster} />
            <ClusterNamespaces cluster={cluster} />
          </>
        )}
      </AsyncContent>
    </Content>
  );
}
