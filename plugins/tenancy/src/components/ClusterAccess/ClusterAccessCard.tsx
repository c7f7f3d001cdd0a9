import { InfoCard, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import Alert from '@mui/material/Alert';
import AlertTitle from '@mui/material/AlertTitle';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import type { Theme } from '@mui/material/styles';
import type { ClusterAccessResponse } from '@tenancy/plugin-tenancy-common';
import { ReactNode, useCallback, useId, useState } from 'react';
import { Link as RouterLink } from 'react-router-dom';
import { tenancyApiRef } from '../../api';
import {
  clusterErrorText,
  isAccessError,
  REFRESH_INTERVAL_MS,
  serverMessage,
  shortRef,
  StaleDataWarning,
  statusOf,
  TenancyErrorView,
  useAutoRefresh,
} from '../shared';

/** Which of the team's namespaces: on one cluster, of one name, or both. */
export interface ClusterAccessFilter {
  /** The clusters whose contexts to show (a namespace's clusters); all when absent. */
  clusters?: string[];
  namespace?: string;
}

type Configured = Extract<ClusterAccessResponse, { configured: true }>;

/**
 * The kubeconfig changes only when a namespace is onboarded or offboarded:
 * reloaded far less often than the live views.
 */
const CLUSTER_ACCESS_REFRESH_MS = 10 * REFRESH_INTERVAL_MS;

const ONBOARD_TEMPLATE = '/create/templates/default/onboard-tenant';

const codeBlock = (theme: Theme) => ({
  m: 0,
  p: 1.5,
  borderRadius: 1,
  bgcolor: theme.palette.action.hover,
  color: theme.palette.text.primary,
  fontFamily: 'monospace',
  fontSize: '0.875rem',
  whiteSpace: 'pre-wrap',
  overflowWrap: 'anywhere',
});

/** Saves `text` as a file named `fileName` (a Blob behind a download link). */
function download(text: string, fileName: string) {
  const url = URL.createObjectURL(
    new Blob([text], { type: 'application/yaml' }),
  );
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // After the click has started the download.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

function InstallCommand({ command }: { command: string }) {
  const [copied, setCopied] = useState<'copied' | 'failed'>();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(command);
      setCopied('copied');
    } catch {
      setCopied('failed');
    }
  };
  return (
    <Box sx={{ mb: 2 }}>
      <Typography variant="subtitle2" component="h3">
        Install
      </Typography>
      <Box sx={{ display: 'flex', alignItems: 'flex-start', gap: 1, mt: 0.5 }}>
        <Box
          component="pre"
          sx={theme => ({ ...codeBlock(theme), flex: 1 })}
          data-testid="cluster-access-install-command"
        >
          {command}
        </Box>
        <Button
          variant="outlined"
          size="small"
          aria-label="Copy install command"
          onClick={copy}
          sx={{ flexShrink: 0 }}
        >
          Copy
        </Button>
      </Box>
      {/* Said to screen readers too; not a `status` role, which the team page's matrix owns. */}
      <Typography
        variant="caption"
        color="text.secondary"
        aria-live="polite"
        data-testid="cluster-access-copy-result"
      >
        {copied === 'copied' && 'Copied to the clipboard.'}
        {copied === 'failed' &&
          'Could not copy: select the command and copy it yourself.'}
      </Typography>
    </Box>
  );
}

/** Short names stay whole; the context and the URL wrap where they must. */
const NO_WRAP = { whiteSpace: 'nowrap' } as const;

function Contexts({ access }: { access: Configured }) {
  return (
    <Box sx={{ mb: 2 }}>
      <Typography variant="subtitle2" component="h3">
        Contexts
      </Typography>
      <TableContainer sx={{ overflowX: 'auto' }}>
        <Table
          size="small"
          aria-label="kubectl contexts"
          data-testid="cluster-access-contexts"
        >
          <TableHead>
            <TableRow>
              <TableCell>Context</TableCell>
              <TableCell sx={NO_WRAP}>Cluster</TableCell>
              <TableCell sx={NO_WRAP}>Environment</TableCell>
              <TableCell sx={NO_WRAP}>Namespace</TableCell>
              <TableCell>API server</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {access.contexts.map(context => (
              <TableRow key={context.name}>
                <TableCell
                  component="th"
                  scope="row"
                  sx={{ fontFamily: 'monospace', overflowWrap: 'anywhere' }}
                >
                  {context.name}
                </TableCell>
                <TableCell sx={NO_WRAP}>{context.cluster}</TableCell>
                <TableCell sx={NO_WRAP}>{context.environment ?? '—'}</TableCell>
                <TableCell sx={NO_WRAP}>{context.namespace}</TableCell>
                <TableCell sx={{ overflowWrap: 'anywhere' }}>
                  {context.server}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </TableContainer>
      <Typography variant="body2" sx={{ mt: 1 }}>
        Then, for example:{' '}
        <Box
          component="code"
          sx={{ fontFamily: 'monospace' }}
          data-testid="cluster-access-example"
        >
          kubectl --context {access.contexts[0].name} get pods
        </Box>
      </Typography>
    </Box>
  );
}

function Kubeconfig({ access }: { access: Configured }) {
  const yamlId = useId();
  const [shown, setShown] = useState(false);
  return (
    <Box>
      <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 1 }}>
        <Button
          variant="contained"
          size="small"
          onClick={() => download(access.kubeconfig, access.fileName)}
        >
          Download kubeconfig
        </Button>
        <Button
          variant="outlined"
          size="small"
          aria-expanded={shown}
          aria-controls={shown ? yamlId : undefined}
          onClick={() => setShown(s => !s)}
        >
          {shown ? 'Hide kubeconfig' : 'Show kubeconfig'}
        </Button>
      </Box>
      <Typography
        variant="caption"
        color="text.secondary"
        component="p"
        sx={{ mt: 0.5 }}
      >
        Saved as {access.fileName}. It holds no token: kubectl asks this portal
        for one when it needs it.
      </Typography>
      {shown && (
        // Scrolls when long: focusable so that keyboards can scroll it too.
        <Box
          id={yamlId}
          component="pre"
          role="region"
          aria-label={`Kubeconfig ${access.fileName}`}
          tabIndex={0}
          data-testid="cluster-access-kubeconfig"
          sx={theme => ({
            ...codeBlock(theme),
            mt: 1,
            maxHeight: 400,
            overflowY: 'auto',
          })}
        >
          {access.kubeconfig}
        </Box>
      )}
    </Box>
  );
}

function ClusterErrors({ access }: { access: Configured }) {
  if (access.clusterErrors.length === 0) return null;
  return (
    <Alert
      severity="warning"
      sx={{ mb: 2 }}
      data-testid="cluster-access-cluster-errors"
    >
      <AlertTitle>
        {access.clusterErrors.length === 1
          ? '1 cluster could not be read; it has no context here'
          : `${access.clusterErrors.length} clusters could not be read; they have no context here`}
      </AlertTitle>
      <Box component="ul" sx={{ m: 0, pl: 2 }}>
        {access.clusterErrors.map(({ cluster, error }) => (
          <li key={cluster}>
            <strong>{cluster}</strong>: {clusterErrorText(error)}
          </li>
        ))}
      </Box>
    </Alert>
  );
}

function Access({
  access,
  filtered,
}: {
  access: ClusterAccessResponse;
  filtered: boolean;
}) {
  if (!access.configured) {
    return (
      <Alert severity="info" data-testid="cluster-access-not-configured">
        {access.message}
      </Alert>
    );
  }
  return (
    <>
      <ClusterErrors access={access} />
      {access.contexts.length === 0 ? (
        <Box data-testid="cluster-access-empty">
          <Typography variant="body2" sx={{ mb: 1 }}>
            {filtered
              ? 'This namespace of the team is on no cluster right now: there is nothing to sign in to.'
              : 'This team has no namespaces yet: onboard one first.'}
          </Typography>
          {!filtered && (
            <Button
              component={RouterLink}
              to={ONBOARD_TEMPLATE}
              size="small"
              variant="outlined"
            >
              Onboard namespace
            </Button>
          )}
        </Box>
      ) : (
        <>
          <InstallCommand command={access.installCommand} />
          <Contexts access={access} />
          <Kubeconfig access={access} />
        </>
      )}
    </>
  );
}

/**
 * kubectl access to a team's namespaces: the command that installs the
 * portal's credential plugin and the team's kubeconfig, the contexts it
 * holds, and the kubeconfig to download or read. The kubeconfig never holds
 * a token: kubectl asks the portal for one, as the person, when it needs it.
 */
export function ClusterAccessCard(props: {
  groupRef: string;
  filter?: ClusterAccessFilter;
}) {
  const { groupRef, filter } = props;
  const clusterList = filter?.clusters?.length ? filter.clusters : undefined;
  const cluster = clusterList?.join(', ');
  const namespace = filter?.namespace;
  const api = useApi(tenancyApiRef);
  const load = useCallback(
    () =>
      api.getClusterAccess(
        groupRef,
        clusterList || namespace
          ? { clusters: clusterList, namespace }
          : undefined,
      ),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [api, groupRef, cluster, namespace],
  );
  const state = useAutoRefresh(
    load,
    `cluster-access:${groupRef}:${cluster ?? ''}:${namespace ?? ''}`,
    CLUSTER_ACCESS_REFRESH_MS,
  );
  const team = shortRef(groupRef, 'group');
  const what = `cluster access for ${team}`;

  let content: ReactNode;
  if (
    state.error &&
    (state.value === undefined || isAccessError(state.error))
  ) {
    content =
      statusOf(state.error) === 403 ? (
        <Alert severity="info" data-testid="cluster-access-forbidden">
          <AlertTitle>You are not a member of {team}</AlertTitle>
          Cluster access is for the team's own members: kubectl signs you in as
          yourself, with your own teams as your Kubernetes groups.
          <Box component="span" sx={{ display: 'block', mt: 0.5 }}>
            {serverMessage(state.error)}
          </Box>
        </Alert>
      ) : (
        <TenancyErrorView error={state.error} what={what} />
      );
  } else if (state.value === undefined) {
    content = <Progress />;
  } else {
    content = (
      <>
        {state.error && (
          <Box sx={{ mb: 2 }}>
            <StaleDataWarning error={state.error} updatedAt={state.updatedAt} />
          </Box>
        )}
        <Access access={state.value} filtered={Boolean(cluster || namespace)} />
      </>
    );
  }

  const scope = namespace
    ? `namespace ${namespace}${cluster ? ` on ${cluster}` : ''} of ${team}`
    : `${team}${cluster ? ` on ${cluster}` : ''}`;
  return (
    <InfoCard
      title="Cluster access"
      subheader={`kubectl for ${scope}`}
      titleTypographyProps={{ variant: 'h6' }}
    >
      <Box data-testid="cluster-access">
        <Typography variant="body2" sx={{ mb: 2 }}>
          kubectl signs you in through this portal as yourself; your teams are
          your Kubernetes groups. Tokens last at most an hour and are refreshed
          on use.
        </Typography>
        {content}
      </Box>
    </InfoCard>
  );
}
