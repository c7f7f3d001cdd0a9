import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { claimsOf } from './portal';

/** A cluster token as the portal gave it. */
export interface CachedToken {
  token: string;
  /** RFC 3339. */
  expirationTimestamp: string;
  user: string;
  groups: string[];
}

/**
 * Where tokens are kept between kubectl's calls: one file per portal and
 * cluster under `$XDG_CACHE_HOME/tenancy-kube-login` (or
 * `~/.cache/tenancy-kube-login`), the folder 0700 and each file 0600 — a
 * token is a credential, readable by its owner only.
 */
export function cacheDir(): string {
  const root = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(root, 'tenancy-kube-login');
}

export function cacheFile(
  portal: string,
  cluster: string,
  who: string,
): string {
  const key = createHash('sha256')
    .update(`${portal}\n${cluster}\n${who}`)
    .digest('hex')
    .slice(0, 32);
  return path.join(cacheDir(), `${key}.json`);
}

/** Our own real folder (not a link, not another user's), 0700; else an error. */
function ensureOwnDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = fs.lstatSync(dir);
  if (
    !stat.isDirectory() ||
    (process.getuid && stat.uid !== process.getuid())
  ) {
    throw new Error(
      `${dir} is not a folder of yours (a link, or another user's): not caching tokens there`,
    );
  }
  if ((stat.mode & 0o777) !== 0o700) fs.chmodSync(dir, 0o700);
}

/**
 * Whether a token is still good for a while: refreshed once less than a
 * fifth of its lifetime (at most a minute) is left, so kubectl never sends
 * one that expires on the way.
 */
export function isFresh(cached: CachedToken, now = Date.now()): boolean {
  const expires = Date.parse(cached.expirationTimestamp);
  if (!Number.isFinite(expires)) return false;
  const issuedAt = issuedAtOf(cached.token) ?? expires - 60 * 60 * 1000;
  const margin = Math.min(60_000, (expires - issuedAt) / 5);
  return expires - now > margin;
}

function issuedAtOf(token: string): number | undefined {
  const { iat } = claimsOf(token);
  return typeof iat === 'number' ? iat * 1000 : undefined;
}

export function readCached(file: string): CachedToken | undefined {
  try {
    const stat = fs.lstatSync(file);
    // A link, or a file others could read or write, is not trusted: refetch.
    if (
      !stat.isFile() ||
      (stat.mode & 0o077) !== 0 ||
      (process.getuid && stat.uid !== process.getuid())
    ) {
      fs.rmSync(file, { force: true });
      return undefined;
    }
    const value = JSON.parse(fs.readFileSync(file, 'utf8'));
    return typeof value?.token === 'string' &&
      typeof value?.expirationTimestamp === 'string'
      ? value
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes the token (0600) through a new temporary file of a random name
 * (created exclusively: never through a planted link), so that a reader
 * never sees half of one.
 */
export function writeCached(file: string, token: CachedToken): void {
  ensureOwnDir(path.dirname(file));
  const temp = `${file}.${randomBytes(8).toString('hex')}.tmp`;
  fs.writeFileSync(temp, JSON.stringify(token), { mode: 0o600, flag: 'wx' });
  try {
    fs.renameSync(temp, file);
  } catch (error) {
    // No token left behind under a name nothing reads or cleans up.
    fs.rmSync(temp, { force: true });
    throw error;
  }
}

/** The cache's own files: tokens and the temporary files they are written through. */
const CACHE_ENTRY = /^[0-9a-f]{32}\.json(\.[0-9a-f]{16}\.tmp)?$/;

/**
 * Drops every cached token (of every portal, cluster and person), so that
 * kubectl's next call gets a fresh one — with the person's teams as they are
 * now, after joining a team or a first namespace of the team on a cluster.
 * Only the cache's own files; nothing through a link. Returns how many.
 */
export function forgetCachedTokens(): number {
  const dir = cacheDir();
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(dir);
  } catch {
    return 0;
  }
  if (
    !stat.isDirectory() ||
    (process.getuid && stat.uid !== process.getuid())
  ) {
    throw new Error(
      `${dir} is not a folder of yours (a link, or another user's): not touching it`,
    );
  }
  let forgotten = 0;
  for (const name of fs.readdirSync(dir)) {
    if (!CACHE_ENTRY.test(name)) continue;
    fs.rmSync(path.join(dir, name), { force: true });
    if (name.endsWith('.json')) forgotten += 1;
  }
  return forgotten;
}
