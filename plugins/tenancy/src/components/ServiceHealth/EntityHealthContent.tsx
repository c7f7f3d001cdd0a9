import { EmptyState, InfoCard, Link } from '@backstage/core-components';
import { useEntity, useEntityRefLink } from '@backstage/plugin-catalog-react';
import { stringifyEntityRef } from '@backstage/catalog-model';
import Box from '@material-ui/core/Box';
import { makeStyles } from '@material-ui/core/styles';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import type {
  ClusterHealth,
  EntityHealth,
  WarningEvent,
  WorkloadHealth,
} from '@tenancy/plugin-tenancy-common';
import {
  AsyncContent,
  clusterErrorText,
  HealthChip,
  RefreshStatus,
} from '../shared';
import { useEntityHealth } from './useEntityHealth';

const useStyles = makeStyles({
  // Narrow columns keep their headers on one line; the workload cell wraps.
  table: { '& th, & td.nowrap': { whiteSpace: 'nowrap' } },
  message: { wordBreak: 'break-word' },
  workload: { minWidth: 220 },
});

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

function Workloads({ workloads }: { workloads: WorkloadHealth[] }) {
  const classes = useStyles();
  return (
    <Table size="small" aria-label="Workloads" className={classes.table}>
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
              <TableCell className={classes.workload}>
                <Typography variant="body2">{w.name}</Typography>
                <Typography variant="caption" color="textSecondary">
                  {w.kind}
                </Typography>
                {problems.length > 0 && (
                  <Typography variant="caption" color="error" component="div">
                    {problems.join(' · ')}
                  </Typography>
                )}
              </TableCell>
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
    </Table>
  );
}

function Events({ events }: { events: WarningEvent[] }) {
  const classes = useStyles();
  if (events.length === 0) {
    return (
      <Typography variant="body2" color="textSecondary">
        No recent Warning events.
      </Typography>
    );
  }
  return (
    <Table
      size="small"
      aria-label="Recent Warning events"
      className={classes.table}
    >
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
            <TableCell className={classes.message}>{e.message}</TableCell>
            <TableCell>{e.count}</TableCell>
            <TableCell className="nowrap">
              {e.lastSeen ? new Date(e.lastSeen).toLocaleString() : '—'}
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
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
        <Typography color="error">
          {`Could not read this cluster — ${clusterErrorText(
            cluster.error,
          )}. Its state is unknown until the backend reads it again.`}
        </Typography>
      ) : (
        <>
          <Workloads workloads={cluster.workloads} />
          <Box mt={2}>
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
  return (
    <Box display="flex" alignItems="center" flexWrap="wrap" mb={2}>
      <Box mr={1}>
        <Typography variant="subtitle1" component="span">
          Overall
        </Typography>
      </Box>
      <Box mr={2}>
        <HealthChip state={health.state} size="medium" />
      </Box>
      {health.clusters.map(c => (
        <Box key={c.cluster} mr={1}>
          <HealthChip state={c.state} label={c.cluster} />
        </Box>
      ))}
      <Box ml="auto">
        <Link to={kubernetesLink}>Pod-level detail in the Kubernetes tab</Link>
      </Box>
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
                <Box key={cluster.cluster} mb={3}>
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
