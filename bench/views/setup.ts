/**
 * What bench/views sets up before its cases and takes down after them: the
 * sandbox, the overlays, the two backends (a healthy one, and one with a
 * black-holed fourth cluster for (b)), the request log, Ctrl-C.
 */
import { connectSandbox, SandboxFixtures } from '@tenancy/sandbox';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { Backend } from '../lib/backend';
import { REPO_ROOT } from '../lib/paths';
import { Interrupt, log, onInterrupt } from '../lib/process';
import { checkClusters, readYaml } from '../lib/sandbox';
import { deleteNamespaces } from './namespaces';
import { RequestLog } from './requests';
import { BLACKHOLE, Settings, WORK_DIR } from './settings';

export interface ViewsBench {
  settings: Settings;
  sandbox: SandboxFixtures;
  /** The sandbox's clusters (all healthy). */
  healthy: string[];
  blackholePort: number;
  runId: string;
  /** The backends' SQLite folder: one catalog for the whole run. */
  sqliteDir: string;
  requestLog: RequestLog;
  /** (b)'s overlay: the clusters and the black hole, and (b)'s timeout. */
  blackholeOverlay: string;
  /** The backend of (a) and fleet, and (b)'s, with the black hole. */
  backendA: Backend;
  backendB: Backend;
  interrupt: Interrupt;
}

/**
 * The backend's port (app-config.port.yaml) and (b)'s clusters: the
 * sandbox's and a fourth on the black hole, with sandbox-a's token and CA
 * (config arrays replace, so all four).
 */
function writeOverlays(settings: Settings, sandbox: SandboxFixtures) {
  const portOverlay = path.join(WORK_DIR, 'app-config.port.yaml');
  const blackholeOverlay = path.join(WORK_DIR, 'app-config.blackhole.yaml');
  const url = `http://localhost:${settings.port}`;
  fs.writeFileSync(
    portOverlay,
    YAML.stringify({
      app: { baseUrl: url },
      backend: {
        baseUrl: url,
        listen: { port: settings.port, host: '127.0.0.1' },
        cors: { origin: url },
      },
    }),
  );
  const locator = readYaml(sandbox.state.overlay).kubernetes
    .clusterLocatorMethods[0];
  const a = locator.clusters.find(
    (c: { name: string }) => c.name === 'sandbox-a',
  );
  const blackhole = {
    ...a,
    name: BLACKHOLE,
    url: sandbox.state.endpoints.blackhole,
  };
  fs.writeFileSync(
    blackholeOverlay,
    YAML.stringify({
      kubernetes: {
        clusterLocatorMethods: [
          { ...locator, clusters: [...locator.clusters, blackhole] },
        ],
      },
      tenancy: { clusterTimeoutMs: settings.clusterTimeoutMs },
    }),
    { mode: 0o600 }, // holds a token
  );
  return { portOverlay, blackholeOverlay };
}

/** The sandbox checked and cleared of leftovers, the overlays written, the backends ready to start. */
export async function setUp(settings: Settings): Promise<ViewsBench> {
  const sandbox = connectSandbox();
  const blackholeUrl = new URL(sandbox.state.endpoints.blackhole);
  const clusterOf = new Map<string, string>([
    ...sandbox.clusters.map(c => [new URL(c.url).origin, c.name] as const),
    [blackholeUrl.origin, BLACKHOLE],
  ]);
  await checkClusters(sandbox);
  await deleteNamespaces(sandbox); // leftovers of an interrupted run

  fs.rmSync(WORK_DIR, { recursive: true, force: true });
  fs.mkdirSync(WORK_DIR, { recursive: true, mode: 0o700 });
  const sqliteDir = fs.mkdtempSync(
    path.join(os.tmpdir(), 'tenancy-bench-views-'),
  );
  const requestLogFile = path.join(WORK_DIR, 'requests.log');
  const { portOverlay, blackholeOverlay } = writeOverlays(settings, sandbox);
  const baseConfigs = [
    path.join(REPO_ROOT, 'app-config.yaml'),
    path.join(REPO_ROOT, 'app-config.e2e.yaml'),
    sandbox.state.overlay,
    portOverlay,
  ];
  const backend = (label: string, configs: string[]) =>
    new Backend(`backend (${label})`, {
      port: settings.port,
      configs,
      sqliteDir,
      requestLog: requestLogFile,
      logFile: path.join(WORK_DIR, `backend-${label}.log`),
    });
  const backendA = backend('a', baseConfigs);
  const backendB = backend('b', [...baseConfigs, blackholeOverlay]);

  const interrupt = onInterrupt(
    'interrupted: stopping the backend and deleting the bench namespaces…',
    () =>
      Promise.all([backendA.stop(), backendB.stop()]).then(() =>
        deleteNamespaces(sandbox),
      ),
  );
  process.on('exit', () => {
    backendA.killNow();
    backendB.killNow();
  });

  return {
    settings,
    sandbox,
    healthy: sandbox.clusters.map(c => c.name),
    blackholePort: Number(blackholeUrl.port),
    runId: randomBytes(3).toString('hex'),
    sqliteDir,
    requestLog: new RequestLog(requestLogFile, clusterOf),
    blackholeOverlay,
    backendA,
    backendB,
    interrupt,
  };
}

/** Stops the backends, deletes the namespaces, the SQLite and the overlay with a token; the logs stay for a look. */
export async function tearDown(bench: ViewsBench): Promise<void> {
  if (bench.interrupt.interrupted) return; // the interrupt's own clean-up runs
  await bench.backendA.stop();
  await bench.backendB.stop();
  await deleteNamespaces(bench.sandbox).catch(error =>
    log(`could not delete the bench namespaces: ${error}`),
  );
  fs.rmSync(bench.sqliteDir, { recursive: true, force: true });
  fs.rmSync(bench.blackholeOverlay, { force: true });
}
