import os from 'node:os';
import path from 'node:path';

/**
 * This package's folder. The sandbox runs from source (bin/ loads src/
 * through Backstage's node transform) and is never bundled, so __dirname is
 * stable here.
 */
// eslint-disable-next-line no-restricted-syntax
export const packageRoot = path.resolve(__dirname, '..');

/** The repository root. */
export const repoRoot = path.resolve(packageRoot, '../..');

/**
 * Built binaries and the moto venv: shared by every clone on the machine and
 * keyed by version, so only the first run builds.
 */
export function cacheDir(): string {
  return (
    process.env.TENANCY_CACHE ??
    path.join(
      process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'),
      'tenancy',
    )
  );
}

/**
 * A running sandbox's state: certificates, tokens, etcd data, logs, pid files
 * and state.json. Per clone, git-ignored; override with TENANCY_SANDBOX_DIR
 * (tests use a throw-away folder).
 */
export function stateDir(): string {
  return (
    process.env.TENANCY_SANDBOX_DIR ?? path.join(repoRoot, 'var', 'sandbox')
  );
}

/** The app-config overlay `up` writes and `./run start` loads. */
export function overlayPath(): string {
  return path.join(stateDir(), 'app-config.sandbox.yaml');
}
