import { Progress } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import Tab from '@mui/material/Tab';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Tabs from '@mui/material/Tabs';
import Typography from '@mui/material/Typography';
import type {
  ContainerDetail,
  ContainerLog,
  PodDetail,
  PodEvent,
  WorkloadPods,
  WorkloadPodsRequest,
} from '@tenancy/plugin-tenancy-common';
import { useCallback, useEffect, useRef, useState } from 'react';
import { tenancyApiRef } from '../../api';
import { ReadableChip, TenancyErrorView, warningText } from '../shared';

/** `5 min ago`, from an ISO time. */
export function ago(iso: string, now: number = Date.now()): string {
  const seconds = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (!Number.isFinite(seconds)) return iso;
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

type ChipColor = 'success' | 'warning' | 'error' | 'default';

function stateColor(c: ContainerDetail): ChipColor {
  if (c.state === 'running') return c.ready ? 'success' : 'warning';
  if (c.state === 'waiting') return 'error';
  if (c.state === 'terminated')
    return c.reason === 'Completed' ? 'default' : 'error';
  return 'default';
}

function termination(c: ContainerDetail): string | undefined {
  const t = c.lastTermination;
  if (!t) return undefined;
  const parts = [t.reason ?? 'ended'];
  if (t.exitCode !== undefined) parts.push(`exit code ${t.exitCode}`);
  if (t.signal !== undefined) parts.push(`signal ${t.signal}`);
  if (t.finishedAt) parts.push(ago(t.finishedAt));
  return parts.join(', ');
}

function Containers({ pod }: { pod: PodDetail }) {
  return (
    <TableContainer sx={{ overflowX: 'auto' }}>
      <Table size="small" aria-label={`Containers of ${pod.name}`}>
        <TableHead>
          <TableRow>
            <TableCell>Container</TableCell>
            <TableCell>State</TableCell>
            <TableCell align="right">Restarts</TableCell>
            <TableCell>Last termination</TableCell>
            <TableCell>Image</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {pod.containers.map(c => (
            <TableRow key={c.name}>
              <TableCell component="th" scope="row">
                {c.name}
              </TableCell>
              <TableCell>
                <ReadableChip
                  size="small"
                  color={stateColor(c)}
                  label={c.reason ? `${c.state}: ${c.reason}` : c.state}
                />
                {c.message && (
                  <Typography
                    variant="caption"
                    component="div"
                    sx={{ overflowWrap: 'anywhere', mt: 0.5 }}
                  >
                    {c.message}
                  </Typography>
                )}
              </TableCell>
              <TableCell align="right">{c.restartCount}</TableCell>
              <TableCell sx={{ overflowWrap: 'anywhere' }}>
                {termination(c) ?? '—'}
                {c.lastTermination?.message && (
                  <Typography variant="caption" component="div">
                    {c.lastTermination.message}
                  </Typography>
                )}
              </TableCell>
              <TableCell
                sx={{ overflowWrap: 'anywhere', fontFamily: 'monospace' }}
              >
                {c.image ?? '—'}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </TableContainer>
  );
}

function Events({ events, label }: { events: PodEvent[]; label: string }) {
  if (events.length === 0) {
    return (
      <Typography variant="body2" color="text.secondary">
        No recent events.
      </Typography>
    );
  }
  return (
    <Box component="ul" aria-label={label} sx={{ m: 0, pl: 2 }}>
      {events.map((e, i) => (
        <li key={`${e.object}-${e.reason}-${i}`}>
          <Typography variant="body2" sx={{ overflowWrap: 'anywhere' }}>
            <Box
              component="span"
              sx={{
                fontWeight: 700,
                color: e.type === 'Warning' ? warningText : 'text.primary',
              }}
            >
              {`${e.type} ${e.reason}`}
            </Box>
            {` ${e.object}${e.count > 1 ? ` ×${e.count}` : ''}${
              e.lastSeen ? `, ${ago(e.lastSeen)}` : ''
            }: ${e.message}`}
          </Typography>
        </li>
      ))}
    </Box>
  );
}

function logLabel(log: ContainerLog) {
  return `${log.container} (${log.previous ? 'previous' : 'current'})`;
}

function Logs({ pod }: { pod: PodDetail }) {
  // The crashed container's log says why it crashed: show it first.
  const logs = [...pod.logs].sort(
    (a, b) => Number(b.previous) - Number(a.previous),
  );
  const [tab, setTab] = useState(0);
  if (logs.length === 0) {
    return (
      <Typography variant="body2" color="text.secondary">
        No logs.
      </Typography>
    );
  }
  const log = logs[Math.min(tab, logs.length - 1)];
  return (
    <Box>
      <Tabs
        value={Math.min(tab, logs.length - 1)}
        onChange={(_e, v) => setTab(v)}
        variant="scrollable"
        aria-label={`Logs of ${pod.name}`}
      >
        {logs.map(l => (
          <Tab key={logLabel(l)} label={logLabel(l)} />
        ))}
      </Tabs>
      {log.error ? (
        <Typography variant="body2" color="text.secondary" sx={{ mt: 1 }}>
          {log.error}
        </Typography>
      ) : (
        <Box
          component="pre"
          tabIndex={0}
          aria-label={`Log of ${logLabel(log)}`}
          sx={{
            mt: 1,
            p: 1,
            maxHeight: 320,
            overflow: 'auto',
            bgcolor: 'action.hover',
            color: 'text.primary',
            fontSize: 12,
            whiteSpace: 'pre-wrap',
            overflowWrap: 'anywhere',
            borderRadius: 1,
          }}
        >
          {log.lines.length ? log.lines.join('\n') : '(empty)'}
        </Box>
      )}
      {log.truncated && (
        <Typography variant="caption" color="text.secondary">
          The lines asked for were longer than the size limit: the newest of
          them are missing.
        </Typography>
      )}
    </Box>
  );
}

function Pod({ pod }: { pod: PodDetail }) {
  return (
    <Box
      component="section"
      aria-label={`Pod ${pod.name}`}
      sx={{ mb: 3, pb: 2, borderBottom: 1, borderColor: 'divider' }}
    >
      <Box
        sx={{
          display: 'flex',
          flexWrap: 'wrap',
          alignItems: 'center',
          gap: 1,
          mb: 1,
        }}
      >
        <Typography
          variant="h6"
          component="h3"
          sx={{ overflowWrap: 'anywhere' }}
        >
          {pod.name}
        </Typography>
        <ReadableChip
          size="small"
          color={pod.ready ? 'success' : 'error'}
          label={pod.reason ?? (pod.ready ? 'Ready' : pod.phase ?? 'Not ready')}
        />
        <Typography variant="body2" color="text.secondary">
          {[
            pod.phase,
            `${pod.restarts} ${pod.restarts === 1 ? 'restart' : 'restarts'}`,
            pod.node && `on node ${pod.node}`,
            pod.createdAt && `created ${ago(pod.createdAt)}`,
          ]
            .filter(Boolean)
            .join(' · ')}
        </Typography>
      </Box>
      <Containers pod={pod} />
      <Typography variant="subtitle2" sx={{ mt: 2 }}>
        Events
      </Typography>
      <Events events={pod.events} label={`Events of ${pod.name}`} />
      <Typography variant="subtitle2" sx={{ mt: 2 }}>
        Last log lines
      </Typography>
      <Logs pod={pod} />
    </Box>
  );
}

/** A workload's pods on one cluster: container states, last termination, events and log lines. */
export function WorkloadPodsView({ data }: { data: WorkloadPods }) {
  return (
    <Box>
      {data.totalPods !== undefined && data.totalPods > data.pods.length && (
        <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
          {`Showing ${data.pods.length} of ${data.totalPods} pods, those not ready first.`}
        </Typography>
      )}
      {data.pods.length === 0 ? (
        <Typography variant="body2" color="text.secondary">
          {`No pods: the ${data.kind} has none on ${data.cluster}.`}
        </Typography>
      ) : (
        data.pods.map(pod => <Pod key={pod.name} pod={pod} />)
      )}
      <Typography variant="subtitle2">{`${data.kind} events`}</Typography>
      <Events
        events={data.events}
        label={`Events of ${data.kind} ${data.name}`}
      />
    </Box>
  );
}

/** Loads a workload's pods (the tenancy backend's troubleshooting route) when opened. */
function useWorkloadPods(request?: WorkloadPodsRequest) {
  const api = useApi(tenancyApiRef);
  const [state, setState] = useState<{
    value?: WorkloadPods;
    error?: Error;
    loading: boolean;
  }>({ loading: false });
  const [reloads, setReloads] = useState(0);
  const key = request
    ? `${request.cluster}/${request.namespace}/${request.kind}/${request.name}`
    : undefined;
  useEffect(() => {
    if (!request) return undefined;
    let current = true;
    setState({ loading: true });
    api.getWorkloadPods(request).then(
      value => current && setState({ value, loading: false }),
      error => current && setState({ error, loading: false }),
    );
    return () => {
      current = false;
    };
    // The key names the request; the object itself is new on every render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, key, reloads]);
  const reload = useCallback(() => setReloads(r => r + 1), []);
  return { ...state, reload };
}

/** The troubleshooting dialog: open it with the workload to look at, close it with `onClose`. */
export function WorkloadPodsDialog(props: {
  workload?: WorkloadPodsRequest;
  onClose: () => void;
}) {
  const { workload, onClose } = props;
  const state = useWorkloadPods(workload);
  // While the dialog fades out, it still says what it showed.
  const last = useRef(workload);
  if (workload) last.current = workload;
  const shown = workload ?? last.current;
  const title = shown
    ? `${shown.kind} ${shown.namespace}/${shown.name} on ${shown.cluster}`
    : '';
  return (
    <Dialog
      open={Boolean(workload)}
      onClose={onClose}
      fullWidth
      maxWidth="lg"
      aria-labelledby="tenancy-pods-title"
      scroll="paper"
    >
      <DialogTitle id="tenancy-pods-title">{`Pods of ${title}`}</DialogTitle>
      <DialogContent dividers>
        {state.loading && <Progress />}
        {state.error && (
          <TenancyErrorView error={state.error} what={`the pods of ${title}`} />
        )}
        {state.value && !state.loading && (
          <WorkloadPodsView data={state.value} />
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={state.reload} disabled={state.loading}>
          Reload
        </Button>
        <Button onClick={onClose} variant="contained">
          Close
        </Button>
      </DialogActions>
    </Dialog>
  );
}

/** A button that opens the troubleshooting dialog for one workload. */
export function OpenPodsButton({
  workload,
}: {
  workload: WorkloadPodsRequest;
}) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button
        size="small"
        variant="outlined"
        onClick={() => setOpen(true)}
        aria-label={`Pods & logs of ${workload.name} on ${workload.cluster}`}
      >
        Pods &amp; logs
      </Button>
      <WorkloadPodsDialog
        workload={open ? workload : undefined}
        onClose={() => setOpen(false)}
      />
    </>
  );
}
