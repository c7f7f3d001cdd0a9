import { APIRequestContext, expect, test } from '@playwright/test';
import { ensureFixtureTenant, FixtureTenant } from './fixtureTenant';
import { personaToken } from './helpers';

/**
 * The 50-namespace fixture tenant (fixtureTenant.ts, issue #16) on the three
 * sandbox clusters, as the portal's API and the team page show it to pat, on
 * the platform team.
 */

let fixture: FixtureTenant;
test.beforeAll(async () => {
  // Seconds on an idle machine; a minute or more on a busy one.
  test.setTimeout(240_000);
  fixture = await ensureFixtureTenant();
});

/** The fixture's namespaces in the portal's answer for the team. */
async function fixtureEntries(request: APIRequestContext, token: string) {
  const response = await request.get(
    `/api/tenancy/tenants/default/${fixture.team}`,
    { headers: { Authorization: `Bearer ${token}` } },
  );
  expect(response.status()).toBe(200);
  const body = await response.json();
  const names = new Set(fixture.namespaces);
  return (body.namespaces as any[]).filter(n => names.has(n.name));
}

test('the portal lists the fixture tenant: 50 namespaces on each of the three clusters', async ({
  request,
}) => {
  test.setTimeout(120_000);
  const token = await personaToken(request, 'pat');
  // The backend reads the clusters on an interval (every 5 s for the e2e
  // portal, app-config.e2e.yaml: tenancy.fleet.refreshIntervalSeconds):
  // namespaces made just now show after the next refresh that began after
  // them, and a refresh that began while the fixture was being made sees
  // some of a namespace's objects and not yet the others. Ask until every
  // one is there as made.
  let entries: any[] = [];
  await expect(async () => {
    entries = await fixtureEntries(request, token);
    expect(entries).toHaveLength(150);
    expect(
      new Set(entries.map(n => `${n.cluster}/${n.name}`)),
      'one entry per namespace and cluster',
    ).toEqual(
      new Set(
        fixture.clusters.flatMap(c => fixture.namespaces.map(n => `${c}/${n}`)),
      ),
    );
    for (const entry of entries) {
      const spec = fixture.specs[entry.name];
      expect(entry).toMatchObject({
        tenant: fixture.teamRef,
        environment: entry.cluster === 'sandbox-a' ? 'dev' : 'prod',
        limitRange: spec.limitRange,
        networkPolicies: {
          count: { 'default-deny': 2, 'same-namespace': 1, none: 0 }[
            spec.networkPolicies
          ],
          defaultDeny: spec.networkPolicies === 'default-deny',
        },
        roleBindings: [expect.objectContaining({ name: 'tenant-developers' })],
      });
      expect(entry.quota.map((q: any) => q.resource)).toEqual([
        'count/configmaps',
        'pods',
        'requests.cpu',
        'requests.memory',
      ]);
    }
  }).toPass({ timeout: 60_000, intervals: [1_000] });

  // The clusters' resource quota controller counts the ConfigMaps (and the
  // kube-root-ca.crt every namespace gets): a few namespaces are 80 % full
  // or more once it has.
  const full = (list: any[]) =>
    list.filter(n =>
      n.quota.some(
        (q: any) => q.resource === 'count/configmaps' && q.ratio >= 0.8,
      ),
    );
  const expectedFull = Object.values(fixture.specs).filter(
    s => (s.configMaps + 1) / Number(s.quota['count/configmaps']) >= 0.8,
  ).length;
  // At least some on each cluster, for the matrix to show; all of them
  // once the quota controller has counted (printed below).
  await expect(async () => {
    entries = await fixtureEntries(request, token);
    for (const cluster of fixture.clusters) {
      expect(
        full(entries).filter(n => n.cluster === cluster).length,
        `namespaces of team-fixture on ${cluster} with count/configmaps at 80 % or more`,
      ).toBeGreaterThan(0);
    }
  }).toPass({ timeout: 120_000, intervals: [2_000] });
  // eslint-disable-next-line no-console
  console.log(
    `[fixture] ${entries.length} namespace entries for ${fixture.teamRef}; ${
      full(entries).length
    } with count/configmaps at 80 % or more (${expectedFull * 3} once counted)`,
  );
});

// The team page of the fixture tenant, in both themes: pages.test.ts.
