import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { identityApiRef, useApi } from '@backstage/frontend-plugin-api';
import type {
  TeamHealth,
  TenancyApi,
  TenantResponse,
} from '@tenancy/plugin-tenancy-common';
import { useCallback } from 'react';
import { tenancyApiRef } from '../../api';
import { useAutoRefresh } from '../shared';

/** One of the signed-in person's teams, as far as it could be read. */
export interface MyTeam {
  groupRef: string;
  tenant?: TenantResponse;
  health?: TeamHealth;
  /** Why the team's tenancy or health could not be read. */
  error?: Error;
}

/** The groups the signed-in person belongs to (their ownership refs that are groups). */
export async function myTeamRefs(identity: {
  getBackstageIdentity(): Promise<{ ownershipEntityRefs: string[] }>;
}): Promise<string[]> {
  const { ownershipEntityRefs } = await identity.getBackstageIdentity();
  const refs = new Set<string>();
  for (const ref of ownershipEntityRefs) {
    try {
      const parsed = parseEntityRef(ref);
      if (parsed.kind.toLowerCase() === 'group') {
        refs.add(stringifyEntityRef(parsed));
      }
    } catch {
      // Not an entity ref: nothing to show for it.
    }
  }
  return [...refs].sort();
}

/** Loads started within this long of each other are one load. */
const SHARE_MS = 5_000;
const shared = new WeakMap<object, { at: number; teams: Promise<MyTeam[]> }>();

async function loadTeams(
  api: TenancyApi,
  identity: Parameters<typeof myTeamRefs>[0],
): Promise<MyTeam[]> {
  const refs = await myTeamRefs(identity);
  return Promise.all(
    refs.map(async groupRef => {
      const [tenant, health] = await Promise.allSettled([
        api.getTenant(groupRef),
        api.getTeamHealth(groupRef),
      ]);
      const failed = [tenant, health].find(
        (r): r is PromiseRejectedResult => r.status === 'rejected',
      );
      return {
        groupRef,
        tenant: tenant.status === 'fulfilled' ? tenant.value : undefined,
        health: health.status === 'fulfilled' ? health.value : undefined,
        error: failed?.reason,
      };
    }),
  );
}

/**
 * The signed-in person's teams with their tenancy and health, reloaded
 * like every Tenancy view. One team that cannot be read does not hide the
 * others. The home page's widgets each use this; loads they start together
 * are shared, so a team is read once per reload, not once per widget.
 */
export function useMyTenancy() {
  const api = useApi(tenancyApiRef);
  const identity = useApi(identityApiRef);
  const load = useCallback((): Promise<MyTeam[]> => {
    const last = shared.get(api);
    if (last && Date.now() - last.at < SHARE_MS) return last.teams;
    const teams = loadTeams(api, identity);
    shared.set(api, { at: Date.now(), teams });
    return teams;
  }, [api, identity]);
  return useAutoRefresh(load, 'home:my-tenancy');
}
