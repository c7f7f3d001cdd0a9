// Asks the test app's backend what an adopter's portal would be asked
// (scripts/test-install.sh runs it once the backend is ready):
//
//   tenancy   /api/tenancy: health without a token; 401 on the fleet without
//             one; signed in as the template's guest, the fleet lists the
//             configured cluster (unreachable, with its error) in its
//             environment, the cluster view answers, and a team's view (the
//             template's group "guests") reads the catalog;
//   actions   /api/scaffolder/v2/actions lists every action id the suite's
//             scaffolder modules document.
//
//   node probe.mjs tenancy|actions --url URL --expect install-test.json
import fs from 'node:fs';

const [check, ...rest] = process.argv.slice(2);
const args = Object.fromEntries(
  rest.reduce((pairs, arg, i, all) => {
    if (arg.startsWith('--')) pairs.push([arg.slice(2), all[i + 1]]);
    return pairs;
  }, []),
);
const base = args.url.replace(/\/$/, '');
const expect = JSON.parse(fs.readFileSync(args.expect, 'utf8'));

function fail(message) {
  console.error(`  ✘ ${message}`);
  process.exit(1);
}
const ok = message => console.log(`  ✔ ${message}`);

async function get(path, token) {
  const res = await fetch(`${base}${path}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body };
}

const short = body => JSON.stringify(body).slice(0, 400);

async function guestToken() {
  // The template's sign-in for local use (auth.providers.guest).
  const res = await fetch(`${base}/api/auth/guest/refresh`, {
    signal: AbortSignal.timeout(60_000),
  });
  if (!res.ok)
    fail(`guest sign-in: /api/auth/guest/refresh answered ${res.status}`);
  const token = (await res.json())?.backstageIdentity?.token;
  if (!token) fail('guest sign-in: no backstageIdentity.token in the answer');
  return token;
}

async function tenancy() {
  const health = await get('/api/tenancy/health');
  if (health.status !== 200 || health.body?.status !== 'ok') {
    fail(`GET /api/tenancy/health: ${health.status} ${short(health.body)}`);
  }
  ok(`GET /api/tenancy/health: 200 ${short(health.body)}`);

  const anonymous = await get('/api/tenancy/fleet');
  if (anonymous.status !== 401) {
    fail(
      `GET /api/tenancy/fleet without a token: expected 401, got ${anonymous.status}`,
    );
  }
  ok('GET /api/tenancy/fleet without a token: 401');

  const token = await guestToken();
  const want = expect.cluster;
  // The first refresh may still be under way: ask for up to a minute.
  const deadline = Date.now() + 60_000;
  let fleet;
  let cluster;
  for (;;) {
    fleet = await get('/api/tenancy/fleet', token);
    if (fleet.status !== 200)
      fail(`GET /api/tenancy/fleet: ${fleet.status} ${short(fleet.body)}`);
    cluster = fleet.body?.clusters?.find(c => c.name === want.name);
    if ((cluster && cluster.error) || Date.now() > deadline) break;
    await new Promise(r => setTimeout(r, 2000));
  }
  if (!cluster) {
    fail(
      `GET /api/tenancy/fleet: no cluster ${want.name} in ${short(fleet.body)}`,
    );
  }
  if (cluster.environment !== want.environment) {
    fail(
      `GET /api/tenancy/fleet: ${want.name} is in environment ${cluster.environment}, expected ${want.environment}`,
    );
  }
  if (cluster.reachable !== false || !cluster.error) {
    fail(
      `GET /api/tenancy/fleet: ${
        want.name
      } (nothing listens there) should be unreachable with an error: ${short(
        cluster,
      )}`,
    );
  }
  ok(
    `GET /api/tenancy/fleet: 200, ${fleet.body.clusters.length} cluster(s); ${want.name} ` +
      `(${cluster.environment}) unreachable: ${short(cluster.error)}`,
  );

  const one = await get(`/api/tenancy/clusters/${want.name}`, token);
  if (one.status !== 200)
    fail(
      `GET /api/tenancy/clusters/${want.name}: ${one.status} ${short(
        one.body,
      )}`,
    );
  ok(
    `GET /api/tenancy/clusters/${want.name}: 200 ${short(one.body).slice(
      0,
      160,
    )}`,
  );

  const unknown = await get('/api/tenancy/clusters/no-such-cluster', token);
  if (unknown.status !== 404) {
    fail(
      `GET /api/tenancy/clusters/no-such-cluster: expected 404, got ${
        unknown.status
      } ${short(unknown.body)}`,
    );
  }
  ok('GET /api/tenancy/clusters/no-such-cluster: 404');

  const team = await get('/api/tenancy/tenants/default/guests', token);
  if (team.status !== 200) {
    fail(
      `GET /api/tenancy/tenants/default/guests: ${team.status} ${short(
        team.body,
      )}`,
    );
  }
  ok(
    `GET /api/tenancy/tenants/default/guests: 200 ${short(team.body).slice(
      0,
      160,
    )}`,
  );
}

async function actions() {
  const token = await guestToken();
  const res = await get('/api/scaffolder/v2/actions', token);
  if (res.status !== 200 || !Array.isArray(res.body)) {
    fail(`GET /api/scaffolder/v2/actions: ${res.status} ${short(res.body)}`);
  }
  const ids = new Set(res.body.map(a => a.id));
  const missing = expect.actions.filter(a => !ids.has(a));
  if (expect.actions.length === 0)
    fail('no action ids expected: nothing to check');
  if (missing.length) {
    fail(
      `GET /api/scaffolder/v2/actions: missing ${missing.join(', ')} ` +
        `(the list has ${res.body.length}: ${[...ids].join(', ')})`,
    );
  }
  ok(
    `GET /api/scaffolder/v2/actions: 200, ${ids.size} actions, the suite's ` +
      `${expect.actions.length} among them: ${expect.actions.join(', ')}`,
  );
}

try {
  if (check === 'tenancy') await tenancy();
  else if (check === 'actions') await actions();
  else fail(`unknown check ${check}`);
} catch (error) {
  fail(`${check}: ${error?.cause?.message ?? error}`);
}
