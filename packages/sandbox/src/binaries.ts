import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { cacheDir, packageRoot } from './paths';
import type { Log } from './types';
import { versions } from './versions';

/** Where each program the sandbox runs lives in the cache, by pinned version. */
export interface Binaries {
  etcd: string;
  apiserver: string;
  controllerManager: string;
  scheduler: string;
  kwok: string;
  gitea: string;
  /** Not run by the sandbox: for people, tests and benchmarks (kubectlBinary). */
  kubectl: string;
}

function binary(component: string, version: string) {
  return path.join(cacheDir(), 'bin', `${component}-${version}`, component);
}

/** kubectl of the sandbox's Kubernetes version (built with the control plane), for tests and benchmarks. */
export function kubectlBinary(): string {
  return binary('kubectl', versions.kubernetes);
}

/** The cached binaries for the pinned versions (they may not be built yet). */
export function binaries(): Binaries {
  return {
    etcd: binary('etcd', versions.etcd),
    apiserver: binary('kube-apiserver', versions.kubernetes),
    controllerManager: binary('kube-controller-manager', versions.kubernetes),
    scheduler: binary('kube-scheduler', versions.kubernetes),
    kwok: binary('kwok', versions.kwok),
    gitea: binary('gitea', versions.gitea),
    kubectl: kubectlBinary(),
  };
}

/** What build-binaries.sh puts next to gitea: templates/, options/, public/ (last the marker). */
function giteaStaticFiles() {
  const dir = path.dirname(binaries().gitea);
  return [
    path.join(dir, 'public', 'assets', '.vite', 'manifest.json'),
    path.join(dir, '.static-complete'),
  ];
}

/** The components build-binaries.sh still has to build. */
function missingBinaries(): string[] {
  const missing = Object.entries(binaries())
    .filter(([, b]) => !fs.existsSync(b))
    .map(([name]) => name);
  if (
    !giteaStaticFiles().every(f => fs.existsSync(f)) &&
    !missing.includes('gitea')
  ) {
    missing.push('gitea');
  }
  return missing;
}

/** Runs scripts/build-binaries.sh for the pinned versions, its output on ours. */
function runBuildScript(): Promise<void> {
  const script = path.join(packageRoot, 'scripts', 'build-binaries.sh');
  return new Promise<void>((resolve, reject) => {
    const child = spawn('bash', [script], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: {
        ...process.env,
        TENANCY_CACHE: cacheDir(),
        K8S_VERSION: versions.kubernetes,
        ETCD_VERSION: versions.etcd,
        KWOK_VERSION: versions.kwok,
        GITEA_VERSION: versions.gitea,
      },
    });
    child.on('error', reject);
    child.on('exit', code =>
      code === 0
        ? resolve()
        : reject(
            new Error(
              `building the sandbox binaries failed (exit ${code}); see the output above`,
            ),
          ),
    );
  });
}

/**
 * Builds whatever control-plane binary is missing for the pinned versions,
 * from the Go module proxy (first run: ~10 min on 2 cores; cached after).
 */
export async function ensureBinaries(log: Log): Promise<void> {
  const missing = missingBinaries();
  if (missing.length === 0) {
    return;
  }
  log(
    `building ${missing.join(
      ', ',
    )} from Go modules (first run only: Kubernetes, etcd and kwok ~10 min, Gitea ~8 min)…`,
  );
  await runBuildScript();
}
