/** The running sandbox as the benches use it: its clusters, the portal's configuration, clean-up. */
import type { LoggerService } from '@backstage/backend-plugin-api';
import { ConfigReader } from '@backstage/config';
import { CoreV1Api } from '@kubernetes/client-node';
import type { SandboxFixtures } from '@tenancy/sandbox';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import YAML from 'yaml';
import { REPO_ROOT } from './paths';
import { log, mapLimit, sleep } from './process';

type Cluster = SandboxFixtures['clusters'][number];

export const readYaml = (file: string) =>
  YAML.parse(fs.readFileSync(file, 'utf8'));

/** Every sandbox cluster must answer before a bench starts. */
export async function checkClusters(sandbox: SandboxFixtures): Promise<void> {
  await Promise.all(
    sandbox.clusters.map(c =>
      c
        .kubeConfig('admin')
        .makeApiClient(CoreV1Api)
        .listNamespace({ limit: 1 }),
    ),
  );
}

/**
 * The portal's configuration for in-process use: app-config.yaml's tenancy
 * settings, then the sandbox overlay (clusters with the platform identity's
 * token).
 */
export function portalConfig(sandbox: SandboxFixtures): ConfigReader {
  const appConfig = readYaml(path.join(REPO_ROOT, 'app-config.yaml')) ?? {};
  return ConfigReader.fromConfigs([
    { context: 'app-config.yaml', data: { tenancy: appConfig.tenancy ?? {} } },
    { context: sandbox.state.overlay, data: readYaml(sandbox.state.overlay) },
  ]);
}

/** A LoggerService for code run in the bench's process: errors and warnings as the bench says. */
export function benchLogger(say: {
  error: (m: string) => void;
  warn?: (m: string) => void;
}): LoggerService {
  const logger: LoggerService = {
    error: m => say.error(m),
    warn: m => say.warn?.(m),
    info: () => {},
    debug: () => {},
    child: () => logger,
  };
  return logger;
}

export interface DeleteOptions {
  /** Deletions at a time, per cluster. */
  concurrency: number;
  /** All clusters at once, or one after the other. */
  parallelClusters: boolean;
  pollMs: number;
  waitMs: number;
}

/**
 * Deletes every namespace labelled `label` on every sandbox cluster (as
 * admin: the bench's and any interrupted run's) and waits until they are
 * gone. How many and how long, or undefined when there were none.
 */
export async function deleteLabelledNamespaces(
  sandbox: SandboxFixtures,
  label: string,
  options: DeleteOptions,
): Promise<{ deleted: number; ms: number } | undefined> {
  const started = performance.now();
  const core = (c: Cluster) => c.kubeConfig('admin').makeApiClient(CoreV1Api);
  const remaining = async () =>
    (
      await Promise.all(
        sandbox.clusters.map(
          async c =>
            (
              await core(c).listNamespace({ labelSelector: label })
            ).items.length,
        ),
      )
    ).reduce((x, y) => x + y, 0);
  let deleted = 0;
  const deleteOn = async (c: Cluster) => {
    const api = core(c);
    const names = (await api.listNamespace({ labelSelector: label })).items
      .filter(ns => ns.status?.phase !== 'Terminating')
      .map(ns => ns.metadata!.name!);
    deleted += names.length;
    await mapLimit(names, options.concurrency, name =>
      api.deleteNamespace({ name }).catch(error => {
        if ((error as { code?: number }).code !== 404) throw error;
      }),
    );
  };
  if (options.parallelClusters) {
    await Promise.all(sandbox.clusters.map(deleteOn));
  } else {
    for (const c of sandbox.clusters) await deleteOn(c);
  }
  if (deleted === 0 && (await remaining()) === 0) return undefined;
  log(`deleting ${deleted} bench namespaces (as admin)…`);
  const deadline = Date.now() + options.waitMs;
  for (;;) {
    const left = await remaining();
    if (left === 0) break;
    if (Date.now() > deadline) {
      throw new Error(
        `${left} bench namespaces are still terminating after ${
          options.waitMs / 1000
        } s; run the bench again to finish deleting them`,
      );
    }
    await sleep(options.pollMs);
  }
  return { deleted, ms: performance.now() - started };
}
