import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ProcessSupervisor } from './processes';

/**
 * The sandbox's git host: Gitea built from its Go module (scripts/
 * build-binaries.sh), bound to 127.0.0.1, sqlite in the state folder, no SSH,
 * no registration, no mail, no LFS. One admin user whose access token is the
 * portal's (Backstage's Gitea integration and `publish:gitea` use it as the
 * password of basic auth), and one organization per seeded team.
 */

/** The admin user; the portal acts as it. ("admin" itself is reserved by Gitea.) */
export const GITEA_ADMIN = 'sandbox-admin';

/** What the portal's token may do: create repositories in orgs, push, read. */
export const GITEA_TOKEN_SCOPES = [
  'write:organization',
  'write:repository',
  'write:user',
];

export interface SandboxGitState {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** `127.0.0.1:<port>`: the `host` of Backstage's integration and of `repoUrl`s. */
  host: string;
  version: string;
  /** The admin user the portal's token belongs to. */
  user: string;
  /** One organization per seeded team. */
  orgs: string[];
}

/** Secrets: kept in git-identity.json (mode 0600), never in state.json. */
export interface GitCredentials {
  user: string;
  password: string;
  token: string;
  tokenName: string;
}

export function gitCredentialsFile(stateDir: string): string {
  return path.join(stateDir, 'git-identity.json');
}

export function readGitCredentials(stateDir: string): GitCredentials {
  const file = gitCredentialsFile(stateDir);
  if (!fs.existsSync(file)) {
    throw new Error(
      `The sandbox has no git credentials (${file}); run \`yarn sandbox up\`.`,
    );
  }
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function writeJsonSecret(file: string, value: unknown) {
  fs.writeFileSync(file, JSON.stringify(value, null, 2), { mode: 0o600 });
  fs.chmodSync(file, 0o600);
}

interface ServerSecrets {
  secretKey: string;
  internalToken: string;
  jwtSecret: string;
  lfsJwtSecret: string;
}

/**
 * Gitea writes any missing secret back into app.ini; generate them once and
 * keep them, so that app.ini can be rewritten on every `up` (the port may move)
 * without logging everyone out or invalidating tokens.
 */
function ensureServerSecrets(dir: string): ServerSecrets {
  const file = path.join(dir, 'secrets.json');
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8'));
  const secrets: ServerSecrets = {
    secretKey: randomBytes(32).toString('hex'),
    internalToken: randomBytes(48).toString('base64url'),
    // Both JWT secrets must be 32 bytes, base64url without padding.
    jwtSecret: randomBytes(32).toString('base64url'),
    lfsJwtSecret: randomBytes(32).toString('base64url'),
  };
  writeJsonSecret(file, secrets);
  return secrets;
}

export interface GiteaPaths {
  /** `<state>/gitea`: app.ini, data/ (sqlite, sessions), repositories/, log/. */
  dir: string;
  appIni: string;
  binary: string;
  /** templates/, options/ and public/ (copied next to the binary at build time). */
  staticRoot: string;
}

export function giteaPaths(stateDir: string, binary: string): GiteaPaths {
  const dir = path.join(stateDir, 'gitea');
  return {
    dir,
    appIni: path.join(dir, 'app.ini'),
    binary,
    staticRoot: path.dirname(binary),
  };
}

const isRoot = () => process.getuid?.() === 0;

/** The environment of every gitea process: its own HOME, root allowed if we are root. */
function giteaEnv(paths: GiteaPaths): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HOME: path.join(paths.dir, 'home'),
    GITEA_WORK_DIR: paths.dir,
    ...(isRoot()
      ? {
          // 1.26 reads GITEA_I_AM_…; older releases (and the docs) the bare name.
          GITEA_I_AM_BEING_UNSAFE_RUNNING_AS_ROOT: 'true',
          I_AM_BEING_UNSAFE_RUNNING_AS_ROOT: 'true',
        }
      : {}),
  };
}

export function appIni(paths: GiteaPaths, port: number): string {
  const secrets = ensureServerSecrets(paths.dir);
  const data = path.join(paths.dir, 'data');
  const sections: Record<string, Record<string, string | number | boolean>> = {
    '': {
      APP_NAME: 'Tenancy sandbox',
      RUN_MODE: 'prod',
      RUN_USER: os.userInfo().username,
      WORK_PATH: paths.dir,
      ...(isRoot() ? { I_AM_BEING_UNSAFE_RUNNING_AS_ROOT: true } : {}),
    },
    server: {
      PROTOCOL: 'http',
      HTTP_ADDR: '127.0.0.1',
      HTTP_PORT: port,
      DOMAIN: '127.0.0.1',
      ROOT_URL: `http://127.0.0.1:${port}/`,
      DISABLE_SSH: true,
      START_SSH_SERVER: false,
      OFFLINE_MODE: true,
      LFS_START_SERVER: false,
      LFS_JWT_SECRET: secrets.lfsJwtSecret,
      STATIC_ROOT_PATH: paths.staticRoot,
      APP_DATA_PATH: data,
      // `down` waits 10 s before it kills; shut down well inside that.
      GRACEFUL_HAMMER_TIME: '3s',
    },
    database: {
      DB_TYPE: 'sqlite3',
      PATH: path.join(data, 'gitea.db'),
      SQLITE_JOURNAL_MODE: 'WAL',
    },
    repository: {
      ROOT: path.join(paths.dir, 'repositories'),
      DEFAULT_BRANCH: 'main',
      DISABLE_STARS: true,
    },
    security: {
      INSTALL_LOCK: true,
      SECRET_KEY: secrets.secretKey,
      INTERNAL_TOKEN: secrets.internalToken,
      PASSWORD_HASH_ALGO: 'pbkdf2',
      MIN_PASSWORD_LENGTH: 8,
    },
    oauth2: { ENABLED: false, JWT_SECRET: secrets.jwtSecret },
    service: {
      DISABLE_REGISTRATION: true,
      // publish:gitea polls a repository's web page without credentials.
      REQUIRE_SIGNIN_VIEW: false,
      ENABLE_NOTIFY_MAIL: false,
      DEFAULT_KEEP_EMAIL_PRIVATE: true,
      NO_REPLY_ADDRESS: 'noreply.sandbox.local',
    },
    mailer: { ENABLED: false },
    lfs: { PATH: path.join(data, 'lfs') },
    actions: { ENABLED: false },
    packages: { ENABLED: false },
    indexer: { ISSUE_INDEXER_TYPE: 'db', REPO_INDEXER_ENABLED: false },
    'cron.update_checker': { ENABLED: false },
    'cron.repo_health_check': { ENABLED: false },
    api: { ENABLE_SWAGGER: false },
    session: { PROVIDER: 'memory' },
    // The default (leveldb) queues poll with a back-off of up to 2 s: a push
    // to an empty repository then takes ~1.5 s to show in the API. In-memory
    // queues hand work over at once; losing them on a crash is fine here.
    queue: { TYPE: 'channel' },
    log: {
      MODE: 'console',
      LEVEL: 'Warn',
      ROOT_PATH: path.join(paths.dir, 'log'),
    },
  };
  return [
    '; Written by `yarn sandbox up` — do not edit; it is rewritten on every up.',
    ...Object.entries(sections).flatMap(([name, keys]) => [
      ...(name ? ['', `[${name}]`] : []),
      ...Object.entries(keys).map(([k, v]) => `${k} = ${v}`),
    ]),
    '',
  ].join('\n');
}

/** Runs the gitea CLI against the sandbox's app.ini; resolves with stdout. */
function giteaCli(paths: GiteaPaths, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      paths.binary,
      ['--config', paths.appIni, '--work-path', paths.dir, ...args],
      { env: giteaEnv(paths), timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error) {
          // never echo the arguments: they may hold a password
          reject(
            new Error(
              `gitea ${args.slice(0, 3).join(' ')} failed: ${String(
                stderr || stdout || error.message,
              ).trim()}`,
            ),
          );
        } else {
          resolve(stdout);
        }
      },
    );
  });
}

async function api(
  url: string,
  token: string | undefined,
  method = 'GET',
  body?: unknown,
): Promise<{ status: number; json: any }> {
  const response = await fetch(url, {
    method,
    headers: {
      ...(token ? { Authorization: `token ${token}` } : {}),
      ...(body ? { 'Content-Type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  let json: any = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: response.status, json };
}

/**
 * The admin user and the portal's token, created once: on later `up`s the
 * kept token is only checked (one API call).
 */
async function ensureAdmin(
  paths: GiteaPaths,
  stateDir: string,
  url: string,
): Promise<GitCredentials> {
  const file = gitCredentialsFile(stateDir);
  const kept: GitCredentials | undefined = fs.existsSync(file)
    ? JSON.parse(fs.readFileSync(file, 'utf8'))
    : undefined;
  if (kept) {
    const me = await api(`${url}/api/v1/user`, kept.token);
    if (me.status === 200 && me.json?.login === kept.user) return kept;
  }
  const password = kept?.password ?? randomBytes(18).toString('base64url');
  const tokenName = `tenancy-portal-${Date.now()}`;
  const exists =
    (await api(`${url}/api/v1/users/${GITEA_ADMIN}`, undefined)).status === 200;
  let token: string;
  if (!exists) {
    const out = await giteaCli(paths, [
      'admin',
      'user',
      'create',
      '--admin',
      '--username',
      GITEA_ADMIN,
      '--email',
      `${GITEA_ADMIN}@sandbox.local`,
      '--password',
      password,
      '--must-change-password=false',
      '--access-token',
      '--access-token-name',
      tokenName,
      '--access-token-scopes',
      GITEA_TOKEN_SCOPES.join(','),
    ]);
    token =
      out.match(
        /Access token was successfully created\.* *([0-9a-f]{40})/,
      )?.[1] ?? '';
  } else {
    await giteaCli(paths, [
      'admin',
      'user',
      'change-password',
      '--username',
      GITEA_ADMIN,
      '--password',
      password,
      '--must-change-password=false',
    ]);
    // stdout may carry log lines too (e.g. the running-as-root warning)
    const out = await giteaCli(paths, [
      'admin',
      'user',
      'generate-access-token',
      '--username',
      GITEA_ADMIN,
      '--token-name',
      tokenName,
      '--scopes',
      GITEA_TOKEN_SCOPES.join(','),
      '--raw',
    ]);
    token = out.match(/^([0-9a-f]{40})$/m)?.[1] ?? '';
  }
  if (!/^[0-9a-f]{40}$/.test(token)) {
    throw new Error('gitea did not print the access token it created');
  }
  const credentials: GitCredentials = {
    user: GITEA_ADMIN,
    password,
    token,
    tokenName,
  };
  writeJsonSecret(file, credentials);
  return credentials;
}

/** One organization per team; existing ones are left alone. */
async function ensureOrgs(url: string, token: string, orgs: string[]) {
  await Promise.all(
    orgs.map(async org => {
      const found = await api(`${url}/api/v1/orgs/${org}`, token);
      if (found.status === 200) return;
      const created = await api(`${url}/api/v1/orgs`, token, 'POST', {
        username: org,
        full_name: org,
        visibility: 'public',
        repo_admin_change_team_access: true,
      });
      if (created.status !== 201) {
        throw new Error(
          `creating the Gitea organization ${org} failed: ${
            created.status
          } ${JSON.stringify(created.json)}`,
        );
      }
    }),
  );
}

/** Stops a running Gitea (TERM, KILL after 10 s), e.g. to restart it with a new app.ini. */
async function stopGitea(supervisor: ProcessSupervisor) {
  const running = supervisor
    .list()
    .filter(p => p.name === 'gitea' && p.running);
  for (const [signal, waitMs] of [
    ['SIGTERM', 10_000],
    ['SIGKILL', 5_000],
  ] as const) {
    if (!supervisor.isRunning('gitea')) return;
    for (const { pid } of running) {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
    const deadline = Date.now() + waitMs;
    while (supervisor.isRunning('gitea') && Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 100));
    }
  }
}

export interface EnsureGiteaOptions {
  stateDir: string;
  binary: string;
  version: string;
  port: number;
  orgs: string[];
  supervisor: ProcessSupervisor;
  waitFor: (
    what: string,
    probe: () => Promise<boolean>,
    timeoutMs: number,
    onTimeout: () => string,
  ) => Promise<void>;
}

/**
 * Starts Gitea if it is not running, waits until its API answers, and makes
 * sure the admin user, the portal's token and the teams' organizations exist.
 */
export async function ensureGitea(
  options: EnsureGiteaOptions,
): Promise<SandboxGitState> {
  const { supervisor, port } = options;
  const paths = giteaPaths(options.stateDir, options.binary);
  const url = `http://127.0.0.1:${port}`;
  for (const sub of ['data', 'repositories', 'log', 'home']) {
    fs.mkdirSync(path.join(paths.dir, sub), { recursive: true, mode: 0o700 });
  }
  const ini = appIni(paths, port);
  const previous = fs.existsSync(paths.appIni)
    ? fs.readFileSync(paths.appIni, 'utf8')
    : undefined;
  if (previous !== ini) {
    fs.writeFileSync(paths.appIni, ini, { mode: 0o600 });
    // A running Gitea with another config (port moved, version bumped): restart it.
    if (previous !== undefined) await stopGitea(supervisor);
  }
  if (!supervisor.isRunning('gitea')) {
    supervisor.start({
      name: 'gitea',
      command: paths.binary,
      args: ['--config', paths.appIni, '--work-path', paths.dir, 'web'],
      env: giteaEnv(paths),
      cwd: paths.dir,
    });
  }
  await options.waitFor(
    'gitea',
    async () => {
      const { status, json } = await api(`${url}/api/v1/version`, undefined);
      return status === 200 && typeof json?.version === 'string';
    },
    60_000,
    () => supervisor.tail('gitea'),
  );
  const credentials = await ensureAdmin(paths, options.stateDir, url);
  await ensureOrgs(url, credentials.token, options.orgs);
  return {
    url,
    host: `127.0.0.1:${port}`,
    version: options.version,
    user: credentials.user,
    orgs: options.orgs,
  };
}
