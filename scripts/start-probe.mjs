import fs from 'node:fs';

// Probes a portal that `./run start` is bringing up, the way a person's
// browser meets it (scripts/check-start.sh runs it):
//
//   1. waits for the backend's readiness endpoint and the frontend dev
//      server's page, giving up early when `./run start` (--pid) has exited;
//   2. reads the page the dev server serves and the config it injects into
//      it, which is where the app in a browser learns the backend's URL;
//   3. signs in as the guest (the local sign-in) and reads its team page
//      from that URL with the page's Origin, as the app's fetch would, and
//      checks the backend lets that origin read the answer (CORS).
//
// Prints the time to ready and a one-line summary of the answer; exits 1
// with a message that says what did not come up.
//
// The timeout counts from the moment ./run start launches the portal (the
// line "starting the portal" in its output, --log): installing the toolchain
// and building the sandbox on a cold machine takes as long as it takes, as
// long as ./run start is alive.
//
//   node scripts/start-probe.mjs --app URL --backend URL --pid PID --log FILE --timeout S

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => {
    if (arg.startsWith('--')) pairs.push([arg.slice(2), all[i + 1]]);
    return pairs;
  }, []),
);
const appUrl = args.app;
const backendUrl = args.backend;
const pid = Number(args.pid);
const timeoutMs = Number(args.timeout ?? 600) * 1000;
const logFile = args.log;
// A cap on set-up too (a stuck install or build must not hang the test run).
const setupTimeoutMs = Number(args['setup-timeout'] ?? 2700) * 1000;
const started = Date.now();
let launched = started;

function fail(message) {
  console.error(`[start-check] ${message}`);
  process.exit(1);
}

function alive() {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

async function waitForLaunch() {
  if (!logFile) return;
  for (;;) {
    const text = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
    if (text.includes('starting the portal: ')) {
      launched = Date.now();
      return;
    }
    if (!alive()) {
      fail(
        'the portal did not come up: ./run start exited before it started the portal — see its output above',
      );
    }
    if (Date.now() - started > setupTimeoutMs) {
      fail(
        `the portal did not come up: ./run start had not launched it after ${
          setupTimeoutMs / 1000
        } s of set-up (toolchain, dependencies, sandbox)`,
      );
    }
    await sleep(1000);
  }
}

async function get(url, init = {}) {
  return fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
}

async function waitFor(what, url) {
  for (;;) {
    try {
      const res = await get(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (!alive()) {
      fail(
        `the portal did not come up: ./run start exited before ${what} (${url}) answered — see its output above`,
      );
    }
    if (Date.now() - launched > timeoutMs) {
      fail(
        `the portal did not come up: ${what} (${url}) did not answer within ${
          timeoutMs / 1000
        } s of ./run start launching it`,
      );
    }
    await sleep(1000);
  }
}

const seconds = ms => `${(ms / 1000).toFixed(1)} s`;

await waitForLaunch();
const setup = launched - started;
await waitFor('the backend', `${backendUrl}/.backstage/health/v1/readiness`);
const backendReady = Date.now() - started;
await waitFor('the frontend dev server', appUrl);
const ready = Date.now() - started;

// The page, and the config the dev server injects into it.
const page = await (await get(appUrl)).text();
if (!page.includes('<div id="root">')) {
  fail(`the frontend dev server's page at ${appUrl} has no app root`);
}
const injected = [
  ...page.matchAll(/<script type="backstage.io\/config">([\s\S]*?)<\/script>/g),
].flatMap(m => JSON.parse(m[1]));
const pageBackend = injected
  .map(c => c?.data?.backend?.baseUrl)
  .filter(Boolean)
  .pop();
if (!pageBackend) {
  fail(`the page at ${appUrl} carries no backend.baseUrl in its config`);
}
const origin = new URL(appUrl).origin;

// Guest sign-in, as the app does it, then one Tenancy answer read as the app
// in the browser reads it: the guest's own team page (the guest is an
// ordinary member of team-payments). On a fresh database the catalog needs a
// moment to read the org: until it knows the guest's teams the token carries
// none, and the team page answers 403 — as a person signing in that early
// would see. Retried until the catalog has caught up.
const TEAM_PAGE = '/api/tenancy/tenants/default/team-payments';
let res;
let body = '';
for (;;) {
  const refresh = await get(`${pageBackend}/api/auth/guest/refresh`, {
    headers: { 'x-requested-with': 'XMLHttpRequest', origin },
  });
  if (!refresh.ok) {
    fail(
      `guest sign-in at ${pageBackend}/api/auth/guest/refresh answered ${refresh.status}`,
    );
  }
  const token = (await refresh.json()).backstageIdentity?.token;
  if (!token) fail('guest sign-in returned no Backstage token');
  res = await get(`${pageBackend}${TEAM_PAGE}`, {
    headers: { authorization: `Bearer ${token}`, origin },
  });
  body = await res.text();
  if (res.ok) break;
  if (res.status !== 403 || Date.now() - launched > timeoutMs) {
    fail(
      `GET ${pageBackend}${TEAM_PAGE} answered ${res.status}: ${body.slice(
        0,
        300,
      )}`,
    );
  }
  await sleep(1000);
}
const answered = Date.now() - started;
const allowOrigin = res.headers.get('access-control-allow-origin');
if (allowOrigin !== origin) {
  fail(
    `the backend does not let the page's origin ${origin} read its answers (access-control-allow-origin: ${allowOrigin})`,
  );
}
const team = JSON.parse(body);
const clusters = [...new Set((team.namespaces ?? []).map(n => n.cluster))];
if (clusters.length === 0) {
  fail(
    `the team page of team-payments shows no namespace on any cluster (${body.slice(
      0,
      300,
    )})`,
  );
}
console.log(
  `[start-check] portal ready ${seconds(
    ready,
  )} after ./run start (toolchain, dependencies, sandbox: ${seconds(
    setup,
  )}; portal launch to backend ready ${seconds(
    backendReady - setup,
  )}, to frontend ready ${seconds(
    ready - setup,
  )}; first team-page answer at ${seconds(
    answered,
  )}); page ${appUrl} → backend ${pageBackend}; ${TEAM_PAGE} as guest from ${origin}: ${
    team.namespaces.length
  } namespaces on ${clusters.length} clusters (${clusters.join(
    ', ',
  )}), generatedAt ${team.generatedAt}`,
);
