/**
 * The portal backend (packages/backend) as `yarn backstage-cli package start`
 * runs it, started and stopped by a bench: bench/views runs one, bench/load
 * its replicas.
 */
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './paths';
import { findFd } from './procfs';
import { log, portInUse, sleep } from './process';
import { ms } from './report';

const BACKEND_DIR = path.join(REPO_ROOT, 'packages', 'backend');
/** Preloaded into every backend; logs its outgoing requests when asked to. */
const REQUEST_LOGGER = path.join(__dirname, 'requestLog.js');

/** backstage-cli restarted the backend (a source file changed): the phase is redone. */
export class BackendRestarted extends Error {}

/**
 * Runs `phase` (attempt 1, 2, …) again when it throws BackendRestarted, up
 * to `attempts` times in all; `beforeRetry` undoes what the failed attempt
 * left. `label` prefixes the log line.
 */
export async function againIfRestarted<T>(
  label: string,
  phase: (attempt: number) => Promise<T>,
  beforeRetry: () => Promise<void> | void = () => {},
  attempts = 3,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await phase(attempt);
    } catch (error) {
      if (!(error instanceof BackendRestarted) || attempt >= attempts) {
        throw error;
      }
      log(
        `${label}${error.message}; once more (attempt ${
          attempt + 1
        } of ${attempts})`,
      );
      await beforeRetry();
    }
  }
}

/**
 * `EMFILE … watch`: the backend (backstage-cli's file watcher, the config
 * watcher) could not get an inotify instance. Each running sandbox holds
 * about 40 of the per-user limit (often 128).
 */
function inotifyHint(): string {
  let limit = '?';
  let used = 0;
  try {
    limit = fs
      .readFileSync('/proc/sys/fs/inotify/max_user_instances', 'utf8')
      .trim();
    findFd((_, link) => {
      if (link === 'anon_inode:inotify') used++;
      return false;
    });
  } catch {
    // not Linux
  }
  return `inotify instances are exhausted (fs.inotify.max_user_instances ${limit}, ${used} in use): other sandboxes or dev servers hold them. Stop some (yarn sandbox down with their TENANCY_SANDBOX_DIR) and run the bench again.`;
}

export interface BackendOptions {
  port: number;
  /** --config files, in order. */
  configs: string[];
  /** TENANCY_SQLITE_DIR. */
  sqliteDir: string;
  /** Where requestLog.js appends the outgoing requests; '' for nowhere. */
  requestLog: string;
  logFile: string;
}

/**
 * The backend in a process group of its own, with the request logger
 * preloaded, NODE_ENV=development (the guest and personas sign-in work in
 * development only).
 */
export class Backend {
  private child?: ChildProcess;
  private exited = false;
  readonly baseUrl: string;
  startedAt = 0;
  restartsAtStart = 0;

  constructor(
    readonly label: string,
    private readonly options: BackendOptions,
  ) {
    this.baseUrl = `http://127.0.0.1:${options.port}`;
  }

  async start(): Promise<void> {
    if (await portInUse(this.options.port)) {
      throw new Error(
        `port ${this.options.port} is in use; pass --port with a free one`,
      );
    }
    const out = fs.openSync(this.options.logFile, 'a');
    const args = [
      'backstage-cli',
      'package',
      'start',
      `--require=${REQUEST_LOGGER}`,
      ...this.options.configs.flatMap(c => ['--config', c]),
    ];
    log(
      `${this.label}: starting the portal backend on port ${this.options.port}…`,
    );
    this.exited = false;
    this.startedAt = Date.now();
    this.restartsAtStart = this.restarts();
    this.child = spawn('yarn', args, {
      cwd: BACKEND_DIR,
      detached: true, // a process group of its own: stop() ends all of it
      stdio: ['ignore', out, out],
      env: {
        ...process.env,
        NODE_ENV: 'development', // the guest provider works in development only
        TENANCY_SQLITE_DIR: this.options.sqliteDir,
        TENANCY_BENCH_REQUEST_LOG: this.options.requestLog,
      },
    });
    fs.closeSync(out);
    this.child.once('exit', () => {
      this.exited = true;
    });
    await this.waitReady(300_000);
    log(
      `${this.label}: up in ${ms(Date.now() - this.startedAt)} (pid ${
        this.child.pid
      }, log ${path.relative(REPO_ROOT, this.options.logFile)})`,
    );
  }

  /** Until /api/tenancy/health answers (it needs no token). */
  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exited) {
        const tail = this.logTail(30);
        throw new Error(
          `the backend exited while starting:\n${tail}${
            /EMFILE[^\n]*watch/.test(tail) ? `\n\n${inotifyHint()}` : ''
          }`,
        );
      }
      try {
        const res = await fetch(`${this.baseUrl}/api/tenancy/health`, {
          signal: AbortSignal.timeout(2000),
        });
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        throw new Error(
          `the backend did not answer within ${
            timeoutMs / 1000
          } s:\n${this.logTail(30)}`,
        );
      }
      await sleep(100);
    }
  }

  /** Throws BackendRestarted if backstage-cli restarted it since `since` restarts. */
  assertSteady(what: string, since = this.restartsAtStart): void {
    if (this.restarts() !== since) {
      throw new BackendRestarted(
        `${what}: backstage-cli restarted the backend because a source file changed (someone edited the repo)`,
      );
    }
  }

  /** A check for later: throws BackendRestarted if it restarted from now on. */
  guard(what: string): () => void {
    const before = this.restarts();
    return () => this.assertSteady(what, before);
  }

  /** How often backstage-cli restarted it because a file changed. */
  restarts(): number {
    if (!fs.existsSync(this.options.logFile)) return 0;
    return (
      fs
        .readFileSync(this.options.logFile, 'utf8')
        .match(/Change detected, restarting/g)?.length ?? 0
    );
  }

  logTail(lines: number): string {
    if (!fs.existsSync(this.options.logFile)) return '';
    // eslint-disable-next-line no-control-regex
    const plain = fs
      .readFileSync(this.options.logFile, 'utf8')
      .replace(/\x1b\[[0-9;]*m/g, '');
    return plain.split('\n').slice(-lines).join('\n');
  }

  /** SIGTERM to the whole process group, SIGKILL if it is still there after 20 s. */
  async stop(): Promise<void> {
    const pid = this.child?.pid;
    if (!pid) return;
    const alive = () => {
      try {
        process.kill(-pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    if (alive()) {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        // gone already
      }
      const deadline = Date.now() + 20_000;
      while (alive() && Date.now() < deadline) await sleep(200);
      if (alive()) {
        log(`${this.label}: still running after SIGTERM; SIGKILL`);
        process.kill(-pid, 'SIGKILL');
        while (alive()) await sleep(100);
      }
    }
    this.child = undefined;
    log(`${this.label}: stopped (process group ${pid})`);
  }

  /** A killer for process exit paths that cannot await. */
  killNow(): void {
    const pid = this.child?.pid;
    if (!pid) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}
