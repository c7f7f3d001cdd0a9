import { EmptyState, InfoCard, Link } from '@backstage/core-components';
import { useEntity, useEntityRefLink } from '@backstage/plugin-catalog-react';
import { stringifyEntityRef } from '@backstage/catalog-model';
import {
  kubernetesClustersReadPermission,
  kubernetesResourcesReadPermission,
} from '@backstage/plugin-kubernetes-common';
import { usePermission } from '@backstage/plugin-permission-react';
import Box from '@mui/material/Box';
import { styled } from '@mui/material/styles';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import type {
  ClusterHealth,
  EntityHealth,
  WarningEvent,
  WorkloadHealth,
} from '@tenancy/plugin-tenancy-common';
import {
  AsyncContent,
  clusterErrorText,
  errorText,
  HealthChip,
  RefreshStatus,
} from '../shared';
import { OpenPodsButton } from '../Troubleshoot';
import { useEntityHealth } from './useEntityHealth';

// Headers and short values stay on one line; long names and messages wrap
// anywhere rather than widen the table. What still does not fit scrolls
// sideways in the table's container instead of being clipped by the card.
const HealthTable = styled(Table)({
  '& th, & td.nowrap': { whiteSpace: 'nowrap' },
  '& td': { overflowWrap: 'anywhere' },
});

const WorkloadCell = styled(TableCell)({ minWidth: 220 });

function plural(n: number, one: string, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

/** What is wrong with a workload, in words: `1 pod in CrashLoopBackOff · 14 restarts`. */
export function workloadProblems(w: WorkloadHealth): string[] {
  const problems: string[] = [];
  if (w.crashLooping)
    problems.push(`${plural(w.crashLooping, 'pod')} in CrashLoopBackOff`);
  if (w.imagePullFailures)
    problems.push(
      `${plural(w.imagePullFailures, 'pod')} failing to pull the image`,
    );
  if (w.pending) problems.push(`${plural(w.pending, 'pod')} pending`);
  if (w.podsNotReady)
    problems.push(`${plural(w.podsNotReady, 'pod')} not ready`);
  if (w.restarts) problems.push(plural(w.restarts, 'restart'));
  return problems;
}

function Workloads({
  workloads,
  cluster,
}: {
  workloads: WorkloadHealth[];
  cluster: string;
}) {
  return (
    <TableContainer>
      <HealthTable size="small" aria-label="Workloads">
        <TableHead>
          <TableRow>
            <TableCell>Workload</TableCell>
            <TableCell>Namespace</TableCell>
            <TableCell>Ready / desired</TableCell>
            <TableCell>Restarts</TableCell>
            <TableCell>Crash looping</TableCell>
            <TableCell>Pending</TableCell>
            <TableCell>Image pull failures</TableCell>
            <TableCell>State</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {workloads.map(w => {
            const problems = workloadProblems(w);
            return (
              <TableRow key={`${w.namespace}/${w.kind}/${w.name}`}>
                <WorkloadCell>
                  <Typography variant="body2">{w.name}</Typography>
                  <Typography variant="caption" color="text.secondary">
                    {w.kind}
                  </Typography>
                  {problems.length > 0 && (
                    <Typography
                      variant="caption"
                      component="div"
                      sx={{ color: errorText }}
                    >
                      {problems.join(' · ')}
                    </Typography>
                  )}
                  <Box sx={{ mt: 0.5 }}>
                    <OpenPodsButton
                      workload={{
                        cluster,
                        namespace: w.namespace,
                        kind: w.kind,
                        name: w.name,
                      }}
                    />
                  </Box>
                </WorkloadCell>
                <TableCell>{w.namespace}</TableCell>
                <TableCell>{`${w.ready} / ${w.desired}`}</TableCell>
                <TableCell>{w.restarts}</TableCell>
                <TableCell>{w.crashLooping}</TableCell>
                <TableCell>{w.pending}</TableCell>
                <TableCell>{w.imagePullFailures}</TableCell>
                <TableCell>
                  <HealthChip state={w.state} />
                </TableCell>
              </TableRow>
            );
          })}
        </TableBody>
      </HealthTable>
    </TableContainer>
  );
}

function Events({ events }: { events: WarningEvent[] }) {
  if (events.length === 0) {
    return (
      <Typography variant="body2" color="text.secondary">
        No recent Warning events.
      </Typography>
    );
  }
  return (
    <TableContainer>
      <HealthTable size="small" aria-label="Recent Warning events">
        <TableHead>
          <TableRow>
            <TableCell>Reason</TableCell>
            <TableCell>Object</TableCell>
            <TableCell>Message</TableCell>
            <TableCell>Count</TableCell>
            <TableCell>Last seen</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {events.map((e, i) => (
            <TableRow key={`${e.namespace}/${e.object}/${e.reason}/${i}`}>
              <TableCell className="nowrap">{e.reason}</TableCell>
              <TableCell>{`${e.namespace}/${e.object}`}</TableCell>
              <TableCell>{e.message}</TableCell>
              <TableCell>{e.count}</TableCell>
              <TableCell className="nowrap">
                {e.lastSeen ? new Date(e.lastSeen).toLocaleString() : '—'}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </HealthTable>
    </TableContainer>
  );
}

function ClusterCard({ cluster }: { cluster: ClusterHealth }) {
  return (
    <InfoCard
      title={cluster.cluster}
      subheader={cluster.environment}
      action={<HealthChip state={cluster.state} size="medium" />}
    >
      {cluster.error ? (
        <Typography sx={{ color: errorText }}>
          {`Could not read this cluster — ${clusterErrorText(
            cluster.error,
          )}. Its state is unknown until the backend reads it again.`}
        </Typography>
      ) : (
        <>
          <Workloads workloads={cluster.workloads} cluster={cluster.cluster} />
          <Box sx={{ mt: 2 }}>
            <Typography variant="subtitle2" gutterBottom>
              Recent Warning events
            </Typography>
            <Events events={cluster.events} />
          </Box>
        </>
      )}
    </InfoCard>
  );
}

function HealthSummary({
  health,
  kubernetesLink,
}: {
  health: EntityHealth;
  kubernetesLink: string;
}) {
  // Backstage's Kubernetes tab reads with the portal's identity, for any
  // team's entity: the shipped policy keeps it to the platform team, and
  // the link is offered only to whoever may use it (the tab needs both).
  const resources = usePermission({
    permission: kubernetesResourcesReadPermission,
  });
  const clusters = usePermission({
    permission: kubernetesClustersReadPermission,
  });
  const kubernetesTab = resources.allowed && clusters.allowed;
  return (
    <Box
      sx={{ display: 'flex', alignItems: 'center', flexWrap: 'wrap', mb: 2 }}
    >
      <Box sx={{ mr: 1 }}>
        <Typography variant="subtitle1" component="span">
          Overall
        </Typography>
      </Box>
      <Box sx={{ mr: 2 }}>
        <HealthChip state={health.state} size="medium" />
      </Box>
      {health.clusters.map(c => (
        <Box key={c.cluster} sx={{ mr: 1 }}>
          <HealthChip state={c.state} label={c.cluster} />
        </Box>
      ))}
      {kubernetesTab && (
        <Box sx={{ ml: 'auto' }}>
          <Link to={kubernetesLink}>
            Pod-level detail in the Kubernetes tab
          </Link>
        </Box>
      )}
    </Box>
  );
}

/** The "Health" tab of a Component: its workloads and events per cluster. */
export function EntityHealthContent() {
  const { entity } = useEntity();
  const entityLink = useEntityRefLink();
  const state = useEntityHealth(stringifyEntityRef(entity));
  const kubernetesLink = `${entityLink(entity)}/kubernetes`;

  return (
    <>
      <RefreshStatus
        updatedAt={state.updatedAt}
        loading={state.loading}
        onRefresh={state.refresh}
      />
      <AsyncContent state={state} what="the health of this component">
        {health =>
          health.clusters.length === 0 ? (
            <EmptyState
              missing="data"
              title="No workloads found on any cluster"
              description="Nothing on the clusters carries the label from this component's backstage.io/kubernetes-id (or kubernetes-label-selector) annotation. Deploy it with that label, or check the annotation."
            />
          ) : (
            <>
              <HealthSummary health={health} kubernetesLink={kubernetesLink} />
              {health.clusters.map(cluster => (
                <Box key={cluster.cluster} sx={{ mb: 3 }}>
                  <ClusterCard cluster={cluster} />
                </Box>
              ))}
            </>
          )
        }
      </AsyncContent>
    </>
  );
}
