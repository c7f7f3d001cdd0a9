import { Link } from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import { useEntityRefLink } from '@backstage/plugin-catalog-react';
import { scaffolderApiRef } from '@backstage/plugin-scaffolder-react';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import List from '@mui/material/List';
import ListItem from '@mui/material/ListItem';
import ListItemText from '@mui/material/ListItemText';
import Typography from '@mui/material/Typography';
import type {
  HealthState,
  NamespaceSummary,
  QuotaUsage,
} from '@tenancy/plugin-tenancy-common';
import { parseEntityRef } from '@backstage/catalog-model';
import { useCallback } from 'react';
import { tenantRouteRef } from '../../routes';
import {
  AsyncContent,
  HealthChip,
  healthSeverity,
  QuotaBars,
  ReadableChip,
  shortRef,
  useAutoRefresh,
} from '../shared';
import { tightestQuota } from '../TenantPage/matrix';
import { ago } from '../Troubleshoot/WorkloadPods';
import { MyTeam, useMyTenancy } from './useMyTenancy';

function NoTeams() {
  return (
    <Typography variant="body2" color="text.secondary">
      You are not a member of any team, so there is nothing of yours to show.
      Teams are catalog Groups; ask your platform team to add you to one.
    </Typography>
  );
}

function TeamLink({ groupRef }: { groupRef: string }) {
  const tenantPage = useRouteRef(tenantRouteRef);
  const { namespace, name } = parseEntityRef(groupRef);
  const href = tenantPage?.({ namespace, name });
  const label = shortRef(groupRef, 'group');
  return href ? <Link to={href}>{label}</Link> : <>{label}</>;
}

const ORDER: HealthState[] = ['failing', 'degraded', 'unknown', 'healthy'];

function TeamSummary({ team }: { team: MyTeam }) {
  const entities = team.health?.entities ?? [];
  const namespaces = new Set(team.tenant?.namespaces.map(ns => ns.name));
  const clusters = new Set(team.tenant?.namespaces.map(ns => ns.cluster));
  return (
    <ListItem disableGutters alignItems="flex-start">
      <ListItemText
        primary={<TeamLink groupRef={team.groupRef} />}
        secondaryTypographyProps={{ component: 'div' }}
        secondary={
          team.error && !team.tenant && !team.health ? (
            `Could not be read: ${team.error.message}`
          ) : (
            <>
              <Box component="span" sx={{ display: 'block', mb: 0.5 }}>
                {`${namespaces.size} ${
                  namespaces.size === 1 ? 'namespace' : 'namespaces'
                } on ${clusters.size} ${
                  clusters.size === 1 ? 'cluster' : 'clusters'
                } · ${entities.length} ${
                  entities.length === 1 ? 'service' : 'services'
                }`}
              </Box>
              <Box
                component="span"
                sx={{ display: 'flex', flexWrap: 'wrap', gap: 0.5 }}
              >
                {ORDER.map(state => {
                  const count = entities.filter(e => e.state === state).length;
                  return count ? (
                    <HealthChip key={state} state={state} count={count} />
                  ) : null;
                })}
              </Box>
            </>
          )
        }
      />
    </ListItem>
  );
}

/** Home widget: the health of each of the signed-in person's teams. */
export function MyTeamsContent() {
  const state = useMyTenancy();
  return (
    <AsyncContent state={state} what="your teams" compact>
      {teams =>
        teams.length === 0 ? (
          <NoTeams />
        ) : (
          <List dense disablePadding aria-label="Your teams">
            {teams.map(team => (
              <TeamSummary key={team.groupRef} team={team} />
            ))}
          </List>
        )
      }
    </AsyncContent>
  );
}

/** Home widget: the services of the person's teams that are failing or degraded. */
export function FailingServicesContent() {
  const state = useMyTenancy();
  const entityLink = useEntityRefLink();
  return (
    <AsyncContent state={state} what="your services" compact>
      {teams => {
        if (teams.length === 0) return <NoTeams />;
        const seen = new Set<string>();
        const failing = teams
          .flatMap(t => t.health?.entities ?? [])
          .filter(e => {
            if (seen.has(e.entityRef) || healthSeverity(e.state) < 2) {
              return false;
            }
            seen.add(e.entityRef);
            return true;
          })
          .sort(
            (a, b) =>
              healthSeverity(b.state) - healthSeverity(a.state) ||
              a.entityRef.localeCompare(b.entityRef),
          );
        if (failing.length === 0) {
          return (
            <Typography variant="body2" color="text.secondary">
              None of your teams' services is failing or degraded.
            </Typography>
          );
        }
        return (
          <List dense disablePadding aria-label="Failing services">
            {failing.map(e => (
              <ListItem key={e.entityRef} disableGutters>
                <Box mr={1}>
                  <HealthChip state={e.state} />
                </Box>
                <ListItemText
                  primary={
                    <Link to={`${entityLink(e.entityRef)}/health`}>
                      {e.title ?? shortRef(e.entityRef, 'component')}
                    </Link>
                  }
                  secondary={`${e.clusters} ${
                    e.clusters === 1 ? 'cluster' : 'clusters'
                  } · open to troubleshoot`}
                />
              </ListItem>
            ))}
          </List>
        );
      }}
    </AsyncContent>
  );
}

/** How many namespaces the quota widget lists. */
const HOME_QUOTA_ROWS = 3;

/** The namespaces (on a cluster) with the fullest quota, fullest first. */
export function tightestNamespaces(
  teams: MyTeam[],
  limit: number,
): Array<{ ns: NamespaceSummary; usage: QuotaUsage }> {
  const all: Array<{ ns: NamespaceSummary; usage: QuotaUsage }> = [];
  for (const ns of teams.flatMap(t => t.tenant?.namespaces ?? [])) {
    const usage = tightestQuota(ns.quota);
    if (usage) all.push({ ns, usage });
  }
  return all
    .sort(
      (a, b) =>
        (b.usage.ratio ?? 0) - (a.usage.ratio ?? 0) ||
        a.ns.name.localeCompare(b.ns.name),
    )
    .slice(0, limit);
}

/** Home widget: the person's namespaces whose quota is closest to full. */
export function TightestQuotaContent() {
  const state = useMyTenancy();
  return (
    <AsyncContent state={state} what="your namespaces" compact>
      {teams => {
        if (teams.length === 0) return <NoTeams />;
        // Three fit the card without scrolling (a scrolling card is not
        // reachable by keyboard); the rest are on the team pages.
        const all = tightestNamespaces(teams, Infinity);
        const tightest = all.slice(0, HOME_QUOTA_ROWS);
        if (tightest.length === 0) {
          return (
            <Typography variant="body2" color="text.secondary">
              Your teams' namespaces have no ResourceQuota.
            </Typography>
          );
        }
        return (
          <List dense disablePadding aria-label="Namespaces by quota use">
            {tightest.map(({ ns, usage }) => (
              <ListItem key={`${ns.cluster}/${ns.name}`} disableGutters>
                <ListItemText
                  primary={`${ns.name} on ${ns.cluster}`}
                  secondaryTypographyProps={{ component: 'div' }}
                  secondary={<QuotaBars quota={[usage]} />}
                />
              </ListItem>
            ))}
            {all.length > tightest.length && (
              <ListItem disableGutters>
                <Typography variant="body2" color="text.secondary">
                  {`${all.length - tightest.length} more with a quota: see ${
                    teams.length === 1 ? 'the team page' : 'the team pages'
                  }`}
                </Typography>
              </ListItem>
            )}
          </List>
        );
      }}
    </AsyncContent>
  );
}

type ChipColor = 'success' | 'warning' | 'error' | 'default' | 'info';
const TASK_COLORS: Record<string, ChipColor> = {
  completed: 'success',
  failed: 'error',
  cancelled: 'default',
  processing: 'info',
  open: 'info',
  skipped: 'default',
};

/** Home widget: the person's own recent scaffolder tasks. */
export function RecentTasksContent() {
  const scaffolder = useApi(scaffolderApiRef);
  const load = useCallback(
    () =>
      scaffolder
        .listTasks({ filterByOwnership: 'owned', limit: 5 })
        .then(r => r.tasks),
    [scaffolder],
  );
  const state = useAutoRefresh(load, 'home:recent-tasks');
  return (
    <AsyncContent state={state} what="your recent tasks" compact>
      {tasks =>
        tasks.length === 0 ? (
          <Typography variant="body2" color="text.secondary">
            You have run no template yet.
          </Typography>
        ) : (
          <List dense disablePadding aria-label="Recent tasks">
            {tasks.map(task => {
              const info = task.spec.templateInfo;
              const title =
                info?.entity?.metadata.title ??
                info?.entity?.metadata.name ??
                (info?.entityRef
                  ? shortRef(info.entityRef, 'template')
                  : 'Task');
              return (
                <ListItem
                  key={task.id}
                  disableGutters
                  secondaryAction={
                    <ReadableChip
                      size="small"
                      color={TASK_COLORS[task.status] ?? 'default'}
                      label={task.status}
                    />
                  }
                  sx={{ pr: 14 }}
                >
                  <ListItemText
                    primary={
                      <Link to={`/create/tasks/${task.id}`}>{title}</Link>
                    }
                    secondary={ago(task.createdAt)}
                  />
                </ListItem>
              );
            })}
          </List>
        )
      }
    </AsyncContent>
  );
}

/** The templates a developer starts from, as the suite ships them. */
export const CREATE_ACTIONS = [
  { template: 'create-service', label: 'Create service' },
  { template: 'onboard-tenant', label: 'Onboard namespace' },
  { template: 'request-aws-account', label: 'Request AWS account' },
];

/** Home widget: the Create actions people use. */
export function CreateActionsContent() {
  return (
    <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 1 }}>
      {CREATE_ACTIONS.map(({ template, label }) => (
        <Button
          key={template}
          variant="contained"
          component={Link}
          to={`/create/templates/default/${template}`}
        >
          {label}
        </Button>
      ))}
    </Box>
  );
}
