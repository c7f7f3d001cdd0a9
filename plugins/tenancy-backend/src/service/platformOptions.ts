import {
  AuthService,
  BackstageCredentials,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { Config } from '@backstage/config';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  ActingTeam,
  ActingTeamsResponse,
  EnvironmentsResponse,
  QuotaPresetsResponse,
  tenancyFleetReadPermission,
  tenancyPlatformAdminPermission,
} from '@tenancy/plugin-tenancy-common';
import {
  readAwsOrganizationsConfig,
  readBaselineOptions,
  readEnvironments,
} from '@tenancy/plugin-tenancy-node';
import { redactClusterError } from '../fleet';
import { FleetSnapshotService } from './FleetSnapshotService';

/** What the forms' pickers read: the platform's environments and namespace sizes. */
export interface PlatformOptionsOptions {
  config: Config;
  snapshots: Pick<FleetSnapshotService, 'get'>;
  permissions: PermissionsService;
  auth: AuthService;
  userInfo: UserInfoService;
  catalog: CatalogService;
}

function actingTeam(entity: Entity): ActingTeam {
  const profile = (entity.spec as { profile?: { displayName?: unknown } })
    ?.profile;
  const title =
    entity.metadata.title ??
    (typeof profile?.displayName === 'string'
      ? profile.displayName
      : undefined);
  return { entityRef: stringifyEntityRef(entity), ...(title && { title }) };
}

const TEAM_FIELDS = [
  'kind',
  'metadata.namespace',
  'metadata.name',
  'metadata.title',
  'spec.profile.displayName',
];

/**
 * The choices the platform offers, read from the portal's config so that
 * templates need not repeat them: environments with their clusters (and
 * whether each answered the fleet's last refresh), and the namespace sizes
 * with their real quota. Anyone signed in may read them — they choose from
 * them in the forms (the routes take only signed-in callers, as every
 * route of the plugin); why a cluster did not answer is told in full only to
 * holders of tenancy.fleet.read, as on the fleet page.
 */
export function createPlatformOptions(options: PlatformOptionsOptions) {
  const { config, snapshots, permissions, auth, userInfo, catalog } = options;
  // Read once: a bad preset already stops the scaffolder module at start-up.
  const environments = readEnvironments(config);
  const baseline = readBaselineOptions(config);
  const { environmentOus } = readAwsOrganizationsConfig(config);
  const names = [
    ...new Set([...Object.keys(environments), ...Object.keys(environmentOus)]),
  ];

  return {
    /** Namespace environments in config order, then those of accounts only. */
    async environments(
      credentials: BackstageCredentials,
    ): Promise<EnvironmentsResponse> {
      const [decision] = await permissions.authorize(
        [{ permission: tenancyFleetReadPermission }],
        { credentials },
      );
      const platform = decision.result === AuthorizeResult.ALLOW;
      // The names are config; whether clusters answer is extra. A fleet
      // that cannot be read leaves that out rather than the environments.
      const snapshot = await snapshots.get().catch(() => undefined);
      const byName = new Map((snapshot?.clusters ?? []).map(c => [c.name, c]));
      return {
        environments: names.map(name => ({
          name,
          namespaces: name in environments,
          clusters: (environments[name] ?? []).map(cluster => {
            const read = byName.get(cluster);
            if (!read) return { name: cluster };
            return {
              name: cluster,
              reachable: read.reachable,
              checkedAt: read.fetchedAt,
              ...(read.error && {
                error: platform ? read.error : redactClusterError(read.error),
              }),
            };
          }),
          ...(environmentOus[name] && { accountOu: environmentOus[name] }),
        })),
      };
    },

    quotaPresets(): QuotaPresetsResponse {
      return {
        presets: Object.entries(baseline.quotaPresets).map(([name, hard]) => ({
          name,
          hard,
          isDefault: name === baseline.defaultQuotaPreset,
        })),
      };
    },

    /**
     * The teams the caller may act for, decided as the actions decide
     * (isTenantMemberOrPlatform): every Group in the catalog for the
     * platform team (`tenancy.platform.admin`), else the groups among the
     * caller's ownership refs. Read from the catalog with the caller's
     * credentials, so the catalog's own permissions apply.
     */
    async actingTeams(
      credentials: BackstageCredentials,
    ): Promise<ActingTeamsResponse> {
      const [admin] = await permissions.authorize(
        [{ permission: tenancyPlatformAdminPermission }],
        { credentials },
      );
      const anyTeam = admin.result === AuthorizeResult.ALLOW;
      let teams: ActingTeam[] = [];
      if (anyTeam) {
        const { items } = await catalog.getEntities(
          { filter: { kind: 'Group' }, fields: TEAM_FIELDS },
          { credentials },
        );
        teams = items.map(actingTeam);
      } else if (auth.isPrincipal(credentials, 'user')) {
        const refs = (
          await userInfo.getUserInfo(credentials)
        ).ownershipEntityRefs.filter(ref => ref.startsWith('group:'));
        const { items } = refs.length
          ? await catalog.getEntitiesByRefs(
              { entityRefs: refs, fields: TEAM_FIELDS },
              { credentials },
            )
          : { items: [] };
        // A group the catalog does not (or no longer) have is still one
        // the actions accept: kept, by its ref.
        teams = refs.map((entityRef, i) => {
          const entity = items[i];
          return entity ? actingTeam(entity) : { entityRef };
        });
      }
      teams.sort((x, y) => x.entityRef.localeCompare(y.entityRef));
      return { teams, anyTeam };
    },
  };
}
