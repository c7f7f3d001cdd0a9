import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  cacheDir,
  cacheFile,
  forgetCachedTokens,
  isFresh,
  readCached,
  writeCached,
} from './cache';

/** A token with the claims the cache reads (iat); the signature does not matter here. */
function jwt(iat: number) {
  const part = (o: object) =>
    Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'ES256' })}.${part({ iat })}.sig`;
}

describe('the token cache', () => {
  let dir: string;
  const previous = process.env.XDG_CACHE_HOME;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kube-login-'));
    process.env.XDG_CACHE_HOME = dir;
  });
  afterEach(() => {
    process.env.XDG_CACHE_HOME = previous;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps each token readable by its owner only, one file per portal and cluster', () => {
    const alice = 'user:default/alice';
    const a = cacheFile('https://portal.example.com', 'sandbox-a', alice);
    const b = cacheFile('https://portal.example.com', 'sandbox-b', alice);
    const other = cacheFile('https://other.example.com', 'sandbox-a', alice);
    // Someone else signed in on the same machine: never alice's token.
    const bob = cacheFile(
      'https://portal.example.com',
      'sandbox-a',
      'user:default/bob',
    );
    expect(new Set([a, b, other, bob]).size).toBe(4);
    const token = {
      token: jwt(1000),
      expirationTimestamp: new Date(2_000_000).toISOString(),
      user: 'user:default/alice',
      groups: ['team-payments'],
    };
    writeCached(a, token);
    expect(fs.statSync(path.dirname(a)).mode & 0o777).toBe(0o700);
    expect(fs.statSync(a).mode & 0o777).toBe(0o600);
    expect(readCached(a)).toEqual(token);
    expect(readCached(b)).toBeUndefined();
  });

  it('does not trust a cache file others can read, and removes it', () => {
    const file = cacheFile('https://portal.example.com', 'sandbox-a', 'u');
    writeCached(file, {
      token: jwt(1000),
      expirationTimestamp: new Date(2_000_000).toISOString(),
      user: 'u',
      groups: [],
    });
    fs.chmodSync(file, 0o644);
    expect(readCached(file)).toBeUndefined();
    expect(fs.existsSync(file)).toBe(false);
  });

  it('does not follow a link planted where a token or the cache folder goes', () => {
    const target = path.join(dir, 'elsewhere');
    fs.writeFileSync(target, 'not yours');
    const file = cacheFile('https://portal.example.com', 'sandbox-a', 'u');
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.symlinkSync(target, file);
    expect(readCached(file)).toBeUndefined();
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.readFileSync(target, 'utf8')).toBe('not yours');

    // The cache folder itself a link: nothing is written through it.
    fs.rmSync(path.dirname(file), { recursive: true });
    const decoy = path.join(dir, 'decoy');
    fs.mkdirSync(decoy);
    fs.symlinkSync(decoy, path.dirname(file));
    expect(() =>
      writeCached(file, {
        token: jwt(1),
        expirationTimestamp: new Date(2_000_000).toISOString(),
        user: 'u',
        groups: [],
      }),
    ).toThrow(/not a folder of yours/);
    expect(fs.readdirSync(decoy)).toEqual([]);
  });

  it('forgets every cached token, and nothing else, on request', () => {
    expect(forgetCachedTokens()).toBe(0);
    const token = {
      token: jwt(1),
      expirationTimestamp: new Date(2_000_000).toISOString(),
      user: 'u',
      groups: [],
    };
    const files = ['sandbox-a', 'sandbox-b'].map(cluster =>
      cacheFile('https://portal.example.com', cluster, 'u'),
    );
    for (const file of files) writeCached(file, token);
    const unrelated = path.join(cacheDir(), 'notes.txt');
    fs.writeFileSync(unrelated, 'mine');
    expect(forgetCachedTokens()).toBe(2);
    for (const file of files) expect(fs.existsSync(file)).toBe(false);
    expect(fs.readFileSync(unrelated, 'utf8')).toBe('mine');

    // The cache folder a link: nothing deleted through it.
    fs.rmSync(cacheDir(), { recursive: true });
    const decoy = path.join(dir, 'decoy');
    fs.mkdirSync(decoy);
    const planted = path.join(decoy, path.basename(files[0]));
    fs.writeFileSync(planted, 'not yours');
    fs.symlinkSync(decoy, cacheDir());
    expect(() => forgetCachedTokens()).toThrow(/not a folder of yours/);
    expect(fs.readFileSync(planted, 'utf8')).toBe('not yours');
  });

  it('refreshes a token once less than a fifth of its life (at most a minute) is left', () => {
    const issued = 1_000_000;
    const hour = {
      token: jwt(issued / 1000),
      expirationTimestamp: new Date(issued + 3_600_000).toISOString(),
      user: 'u',
      groups: [],
    };
    expect(isFresh(hour, issued + 3_600_000 - 61_000)).toBe(true);
    expect(isFresh(hour, issued + 3_600_000 - 59_000)).toBe(false);
    const tenSeconds = {
      ...hour,
      token: jwt(issued / 1000),
      expirationTimestamp: new Date(issued + 10_000).toISOString(),
    };
    expect(isFresh(tenSeconds, issued + 7_000)).toBe(true);
    expect(isFresh(tenSeconds, issued + 8_500)).toBe(false);
    expect(isFresh({ ...hour, expirationTimestamp: 'soon' }, issued)).toBe(
      false,
    );
  });
});
