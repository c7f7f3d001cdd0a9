import {
  Content,
  ContentHeader,
  EmptyState,
  Link,
  Table,
  TableColumn,
  WarningPanel,
} from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import Chip from '@mui/material/Chip';
import type { ClusterSummary } from '@tenancy/plugin-tenancy-common';
import { useCallback, useMemo } from 'react';
import { tenancyApiRef } from '../../api';
import { clusterRouteRef } from '../../routes';
import {
  AsyncContent,
  ClusterErrorText,
  clusterErrorText,
  RefreshStatus,
  useAutoRefresh,
} from '../shared';

/** A fleet row: the summary plus the plain values the table sorts and searches on. */
interface FleetRow {
  cluster: ClusterSummary;
  name: string;
  environment: string;
  version: string;
  reachability: string;
  latencyMs: number;
  nodes: string;
  nodesReadyRatio: number;
  namespaces?: number;
  tenants?: number;
  problem: string;
}

function toRow(cluster: ClusterSummary): FleetRow {
  return {
    cluster,
    name: cluster.name,
    environment: cluster.environment ?? '—',
    version: cluster.version ?? '—',
    reachability: cluster.reachable ? 'Reachable' : 'Unreachable',
    // Unreachable clusters sort after the slowest reachable one.
    latencyMs: cluster.reachable
      ? cluster.latencyMs ?? Number.MAX_SAFE_INTEGER - 1
      : Number.MAX_SAFE_INTEGER,
    nodes: cluster.nodes
      ? `${cluster.nodes.ready} / ${cluster.nodes.total} ready`
      : '—',
    nodesReadyRatio: cluster.nodes?.total
      ? cluster.nodes.ready / cluster.nodes.total
      : -1,
    namespaces: cluster.namespaces,
    tenants: cluster.tenants,
    problem: cluster.error ? clusterErrorText(cluster.error) : '',
  };
}

function Reachability({ cluster }: { cluster: ClusterSummary }) {
  if (!cluster.reachable) {
    return <Chip size="small" variant="outlined" label="Unreachable" />;
  }
  return (
    <Chip
      size="small"
      variant="outlined"
      color="primary"
      label={
        cluster.latencyMs === undefined
          ? 'Reachable'
          : `Reachable · ${cluster.latencyMs} ms`
      }
    />
  );
}

function FleetTable({ clusters }: { clusters: ClusterSummary[] }) {
  const clusterLink = useRouteRef(clusterRouteRef);
  const failed = clusters.filter(c => c.error);
  const rows = useMemo(() => clusters.map(toRow), [clusters]);
  const columns: TableColumn<FleetRow>[] = [
    {
      title: 'Cluster',
      field: 'name',
      highlight: true,
      render: row =>
        clusterLink ? (
          <Link to={clusterLink({ name: row.name })}>{row.name}</Link>
        ) : (
          row.name
        ),
    },
    { title: 'Environment', field: 'environment' },
    { title: 'Version', field: 'version' },
    {
      title: 'Reachability',
      field: 'reachability',
      customSort: (a, b) => a.latencyMs - b.latencyMs,
      render: row => <Reachability cluster={row.cluster} />,
    },
    {
      title: 'Nodes',
      field: 'nodes',
      customSort: (a, b) => a.nodesReadyRatio - b.nodesReadyRatio,
    },
    {
      title: 'Namespaces',
      field: 'namespaces',
      type: 'numeric',
      align: 'left',
      customSort: (a, b) => (a.namespaces ?? -1) - (b.namespaces ?? -1),
      render: row => row.namespaces ?? '—',
    },
    {
      title: 'Tenants',
      field: 'tenants',
      type: 'numeric',
      align: 'left',
      customSort: (a, b) => (a.tenants ?? -1) - (b.tenants ?? -1),
      render: row => row.tenants ?? '—',
    },
    {
      title: 'Error',
      field: 'problem',
      render: row =>
        row.cluster.error ? (
          <ClusterErrorText error={row.cluster.error} />
        ) : (
          '—'
        ),
    },
  ];

  return (
    <>
      {failed.length > 0 && (
        <WarningPanel
          title={`${failed.length} of ${clusters.length} clusters could not be read`}
          message="Their rows show why; the other clusters' data is current."
        />
      )}
      {/* minWidth 0: the table then scrolls sideways in its own container
          when it is wider than the page, rather than widening the page. */}
      <Table<FleetRow>
        columns={columns}
        data={rows}
        style={{ minWidth: 0 }}
        options={{
          search: true,
          paging: clusters.length > 20,
          pageSize: 20,
          padding: 'dense',
          // Column drag handles are focusable inside the sort buttons
          // (axe: nested-interactive); nobody reorders these columns.
          draggable: false,
        }}
        filters={[
          { column: 'Environment', type: 'multiple-select' },
          { column: 'Reachability', type: 'select' },
        ]}
      />
    </>
  );
}

/** Every cluster of the fleet, one row each, for the platform team. */
export function FleetPage() {
  const api = useApi(tenancyApiRef);
  const load = useCallback(() => api.getFleet(), [api]);
  const state = useAutoRefresh(load, 'fleet');

  return (
    <Content>
      <ContentHeader
        title={
          state.value
            ? `${state.value.clusters.length} ${
                state.value.clusters.length === 1 ? 'cluster' : 'clusters'
              }`
            : 'Clusters'
        }
      >
        <RefreshStatus
          updatedAt={state.updatedAt}
          loading={state.loading}
          onRefresh={state.refresh}
        />
      </ContentHeader>
      <AsyncContent state={state} what="the fleet view">
        {fleet =>
          fleet.clusters.length === 0 ? (
            <EmptyState
              missing="data"
              title="No clusters yet"
              description="Add clusters under kubernetes.clusterLocatorMethods in the app-config (see @tenancy/plugin-tenancy-node). They show here after the backend's next refresh."
            />
          ) : (
            <FleetTable clusters={fleet.clusters} />
          )
        }
      </AsyncContent>
    </Content>
  );
}
