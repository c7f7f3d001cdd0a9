/** Where the benches read and write. */
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** A bench's scratch folder, var/bench/<name>, and its results, var/bench/<name>.json. */
export function benchPaths(name: string): { workDir: string; out: string } {
  return {
    workDir: path.join(REPO_ROOT, 'var', 'bench', name),
    out: path.join(REPO_ROOT, 'var', 'bench', `${name}.json`),
  };
}

/** A path as the help shows it: from the repository's root. */
export const fromRoot = (file: string) => path.relative(REPO_ROOT, file);
