/**
 * The servers a scenario's replicas share: a private, throw-away PostgreSQL
 * and Redis on 127.0.0.1, as scripts/services.sh starts them for the tests
 * (or servers named by --pg-url / --redis-url).
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client as PgClient } from 'pg';
import { freePort, log, sleep } from '../lib/process';
import type { Settings } from './settings';

const isRoot = () => process.getuid?.() === 0;

function pgBindir(): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter(v => fs.existsSync(path.join(root, v, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length) return path.join(root, versions[0], 'bin');
  try {
    return path.dirname(
      execFileSync('sh', ['-c', 'command -v postgres'], {
        encoding: 'utf8',
      }).trim(),
    );
  } catch {
    throw new Error(
      'no PostgreSQL server binaries (postgres, initdb, pg_ctl): install PostgreSQL (apt-get install postgresql) or pass --pg-url',
    );
  }
}

/**
 * A private, throw-away PostgreSQL on 127.0.0.1, as start_test_postgres in
 * scripts/services.sh makes it: initdb in a temporary folder (as the
 * postgres user when we are root: PostgreSQL refuses to run as root), fsync
 * off, deleted by stop().
 */
export class PgServer {
  private constructor(
    readonly url: string,
    readonly version: string,
    private readonly dir: string,
    private readonly bindir: string,
  ) {}

  private static as(): string[] {
    return isRoot() ? ['runuser', '-u', 'postgres', '--'] : [];
  }

  private static run(bindir: string, tool: string, args: string[]): void {
    const [cmd, ...pre] = [...PgServer.as(), path.join(bindir, tool)];
    // From /, which the postgres user can always enter.
    execFileSync(cmd, [...pre, ...args], { cwd: '/', stdio: 'pipe' });
  }

  /** `settings`: server settings as `name=value`, each passed as `-c name=value`. */
  static async start(settings: string[] = []): Promise<PgServer> {
    const bindir = pgBindir();
    const port = await freePort();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenancy-load-pg-'));
    if (isRoot()) {
      const id = (flag: string) =>
        Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }));
      fs.chownSync(dir, id('-u'), id('-g'));
    }
    const data = path.join(dir, 'data');
    const logFile = path.join(dir, 'log');
    try {
      PgServer.run(bindir, 'initdb', [
        '-D',
        data,
        '-U',
        'tenancy',
        '-A',
        'trust',
        '--no-sync',
      ]);
      PgServer.run(bindir, 'pg_ctl', [
        '-D',
        data,
        '-l',
        logFile,
        '-w',
        '-t',
        '60',
        '-o',
        [
          `-h 127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c max_connections=200`,
          ...settings.map(setting => `-c ${setting}`),
        ].join(' '),
        'start',
      ]);
    } catch (error) {
      const tail = fs.existsSync(logFile)
        ? fs.readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n')
        : '';
      fs.rmSync(dir, { recursive: true, force: true });
      throw new Error(
        `PostgreSQL did not start: ${
          (error as { stderr?: Buffer }).stderr?.toString() ?? error
        }\n${tail}`,
      );
    }
    const version =
      /\(PostgreSQL\) (\S+)/.exec(
        execFileSync(path.join(bindir, 'postgres'), ['--version'], {
          encoding: 'utf8',
        }),
      )?.[1] ?? '?';
    return new PgServer(
      `postgresql://tenancy@127.0.0.1:${port}`,
      version,
      dir,
      bindir,
    );
  }

  /** Synchronous, so that it can run on process exit too. */
  stop(): void {
    if (!fs.existsSync(this.dir)) return;
    try {
      PgServer.run(this.bindir, 'pg_ctl', [
        '-D',
        path.join(this.dir, 'data'),
        '-m',
        'immediate',
        '-w',
        'stop',
      ]);
    } catch (error) {
      log(`could not stop PostgreSQL in ${this.dir}: ${error}`);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Answers PING with PONG (no AUTH: our own server). */
function redisPing(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', chunk => done(chunk.toString().startsWith('+PONG')));
  });
}

/**
 * A private, throw-away Redis on 127.0.0.1, as start_test_redis in
 * scripts/services.sh makes it: no persistence, a temporary folder.
 */
export class RedisServer {
  private exited = false;

  private constructor(
    readonly url: string,
    readonly version: string,
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {
    child.once('exit', () => {
      this.exited = true;
    });
  }

  static async start(): Promise<RedisServer> {
    const port = await freePort();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tenancy-load-redis-'));
    const logFile = path.join(dir, 'log');
    const child = spawn(
      'redis-server',
      [
        '--bind',
        '127.0.0.1',
        '--port',
        String(port),
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
        '--logfile',
        logFile,
      ],
      { stdio: 'ignore' },
    );
    let failure: Error | undefined;
    child.once('error', error => {
      failure = error;
    });
    let exited = false;
    child.once('exit', () => {
      exited = true;
    });
    const deadline = Date.now() + 30_000;
    while (!(await redisPing(port))) {
      if (failure || exited || Date.now() > deadline) {
        child.kill('SIGKILL');
        const tail = fs.existsSync(logFile)
          ? fs.readFileSync(logFile, 'utf8')
          : '';
        fs.rmSync(dir, { recursive: true, force: true });
        throw new Error(
          (failure as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
            ? 'no redis-server: install it (apt-get install redis-server) or pass --redis-url'
            : `redis-server did not start: ${failure ?? ''}\n${tail}`,
        );
      }
      await sleep(200);
    }
    let version = '?';
    try {
      version =
        /v=(\S+)/.exec(
          execFileSync('redis-server', ['--version'], { encoding: 'utf8' }),
        )?.[1] ?? '?';
    } catch {
      // the version is for the report only
    }
    return new RedisServer(`redis://127.0.0.1:${port}`, version, child, dir);
  }

  async stop(): Promise<void> {
    if (!this.exited) {
      this.child.kill('SIGTERM');
      const deadline = Date.now() + 10_000;
      while (!this.exited && Date.now() < deadline) await sleep(100);
      if (!this.exited) this.child.kill('SIGKILL');
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  killNow(): void {
    if (!this.exited) this.child.kill('SIGKILL');
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The maintenance database of a server URL (where CREATE/DROP DATABASE run). */
function maintenanceUrl(url: string): string {
  const u = new URL(url);
  u.pathname = '/postgres';
  return u.toString();
}

/** Drops the databases of one scenario (on a server the bench did not start). */
export async function dropDatabases(
  url: string,
  prefix: string,
): Promise<number> {
  const client = new PgClient({ connectionString: maintenanceUrl(url) });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE starts_with(datname, $1)',
      [prefix],
    );
    for (const { datname } of rows) {
      await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
    return rows.length;
  } finally {
    await client.end();
  }
}

/** No server when the flag named one at `url`; else a throw-away one, started now. */
async function serverAt<S extends { url: string; version: string }>(
  name: string,
  flag: string,
  url: string | undefined,
  start: () => Promise<S>,
): Promise<S | undefined> {
  if (url) {
    log(`${name}: ${new URL(url).host} (${flag})`);
    return undefined;
  }
  const server = await start();
  log(`${name} ${server.version} on ${new URL(server.url).host} (throw-away)`);
  return server;
}

/** The PostgreSQL and Redis of the settings, or throw-away ones. */
export class Servers {
  pg?: PgServer;
  redis?: RedisServer;

  constructor(private readonly settings: Settings) {}

  async start(): Promise<{ pgUrl: string; redisUrl: string }> {
    const { pgUrl, redisUrl } = this.settings;
    this.pg = await serverAt('PostgreSQL', '--pg-url', pgUrl, () =>
      PgServer.start(),
    );
    this.redis = await serverAt('Redis', '--redis-url', redisUrl, () =>
      RedisServer.start(),
    );
    return {
      pgUrl: pgUrl ?? this.pg!.url,
      redisUrl: redisUrl ?? this.redis!.url,
    };
  }

  /** Stops and deletes the throw-away servers; drops the scenarios' databases on a --pg-url. */
  async stop(prefixes: string[]): Promise<void> {
    if (this.settings.pgUrl) {
      for (const prefix of prefixes) {
        await dropDatabases(this.settings.pgUrl, prefix).catch(error =>
          log(`could not drop the ${prefix}* databases: ${error}`),
        );
      }
    }
    await this.redis?.stop();
    this.redis = undefined;
    this.pg?.stop();
    this.pg = undefined;
  }

  /** On process exit, which cannot wait. */
  killNow(): void {
    this.redis?.killNow();
    this.pg?.stop();
  }
}
