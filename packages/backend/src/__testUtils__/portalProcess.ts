import { eventually, sleep } from '@tenancy/test-utils';
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JsonObject } from '@backstage/types';
import { freePort } from '@tenancy/sandbox';
import YAML from 'yaml';

export const repoRoot = path.resolve(__dirname, '../../../..');
const backendDir = path.join(repoRoot, 'packages', 'backend');

/**
 * Every backend process a test started and has not seen exit: killed (with
 * its process group) when the test process exits, whatever happened — a
 * jest timeout while a backend was still starting included — so no backend
 * outlives the test run. `./run test` also checks for the marker
 * TENANCY_PROCESS_TEST in every process's environment after the phase.
 */
const running = new Set<ChildProcess>();
function killGroup(child: ChildProcess) {
  try {
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
process.once('exit', () => {
  for (const child of running) killGroup(child);
});

/** Kills every backend process this test file started (afterEach/afterAll). */
export async function killAllPortals(): Promise<void> {
  await Promise.all(
    [...running].map(
      child =>
        new Promise<void>(resolve => {
          child.once('exit', () => resolve());
          killGroup(child);
          if (child.exitCode !== null || child.signalCode !== null) resolve();
        }),
    ),
  );
}

export { eventually, sleep };

export interface PortalProcessOptions {
  /** Names the process in logs and errors, e.g. `replica-a`. */
  name: string;
  /** Config files, loaded in order before `overlay`. */
  configs: string[];
  /** Written to a file and loaded last (ports and database are added to it). */
  overlay: JsonObject;
  database: JsonObject;
  port?: number;
  env?: Record<string, string>;
}

/**
 * The portal's real backend (packages/backend/src/index.ts, every feature) as
 * its own process — started the way `backstage-cli package start` starts it
 * (Node with Backstage's TypeScript transform), minus the file watcher — so a
 * test can `kill -9` it mid-task and start another on the same database.
 */
export class PortalProcess {
  private child?: ChildProcess;
  private exit?: Promise<void>;
  private readonly logFile: string;
  private readonly configFile: string;
  readonly baseUrl: string;
  startedInMs = 0;

  private constructor(
    readonly options: PortalProcessOptions,
    readonly port: number,
  ) {
    this.baseUrl = `http://127.0.0.1:${port}`;
    const dir = fs.mkdtempSync(
      path.join(os.tmpdir(), `tenancy-${options.name}-`),
    );
    this.logFile = path.join(dir, 'backend.log');
    this.configFile = path.join(dir, 'app-config.test.yaml');
  }

  static async start(options: PortalProcessOptions): Promise<PortalProcess> {
    const portal = new PortalProcess(
      options,
      options.port ?? (await freePort()),
    );
    await portal.start();
    return portal;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private async start(): Promise<void> {
    const overlay = {
      ...this.options.overlay,
      backend: {
        ...(this.options.overlay.backend as JsonObject | undefined),
        baseUrl: this.baseUrl,
        // The string form: app-config.production.yaml has `listen: ':7007'`,
        // and an object over that string left the backend hanging before
        // any plugin started.
        listen: `127.0.0.1:${this.port}`,
        cors: { origin: this.baseUrl },
        database: this.options.database,
      },
    };
    // Holds the sandbox's tokens when the overlay names clusters.
    fs.writeFileSync(this.configFile, YAML.stringify(overlay), {
      mode: 0o600,
    });
    const out = fs.openSync(this.logFile, 'a');
    const started = Date.now();
    this.child = spawn(
      process.execPath,
      [
        '--enable-source-maps',
        '--require',
        require.resolve('@backstage/cli-node/config/nodeTransform.cjs'),
        path.join(backendDir, 'src', 'index.ts'),
        ...[...this.options.configs, this.configFile].flatMap(c => [
          '--config',
          c,
        ]),
      ],
      {
        cwd: backendDir,
        // A process group of its own: kill(-pid) ends anything it started.
        detached: true,
        stdio: ['ignore', out, out],
        env: {
          TENANCY_PROCESS_TEST: '1',
          ...process.env,
          // jest sets NODE_ENV=test; the guest sign-in works in development.
          NODE_ENV: 'development',
          ESBK_TSCONFIG_PATH: path.join(repoRoot, 'tsconfig.json'),
          ...this.options.env,
        },
      },
    );
    fs.closeSync(out);
    const child = this.child;
    running.add(child);
    this.exit = new Promise(resolve =>
      child.once('exit', () => {
        running.delete(child);
        // The overlay holds the sandbox's cluster tokens.
        fs.rmSync(this.configFile, { force: true });
        resolve();
      }),
    );
    let exited = false;
    void this.exit.then(() => {
      exited = true;
    });
    await eventually(
      `${this.options.name} to be ready on ${this.baseUrl}`,
      async () => {
        if (exited) {
          throw new Error(
            `${this.options.name} exited while starting:\n${this.logTail(40)}`,
          );
        }
        try {
          const res = await fetch(
            `${this.baseUrl}/.backstage/health/v1/readiness`,
            { signal: AbortSignal.timeout(2000) },
          );
          return res.ok ? true : undefined;
        } catch {
          return undefined;
        }
      },
      240_000,
      250,
    ).catch(error => {
      killGroup(child);
      throw error;
    });
    this.startedInMs = Date.now() - started;
  }

  private get exited(): boolean {
    return (
      !this.child ||
      this.child.exitCode !== null ||
      this.child.signalCode !== null
    );
  }

  /** `kill -9`: the process ends at once, with whatever it was doing. */
  async kill9(): Promise<void> {
    if (this.exited) return;
    killGroup(this.child!);
    await this.exit;
  }

  log(): string {
    return fs.existsSync(this.logFile)
      ? // eslint-disable-next-line no-control-regex
        fs.readFileSync(this.logFile, 'utf8').replace(/\x1b\[[0-9;]*m/g, '')
      : '';
  }

  logTail(lines: number): string {
    return this.log().split('\n').slice(-lines).join('\n');
  }

  /**
   * A Backstage token as the app gets one: the guest's (the local sign-in),
   * or one of the sandbox's personas' (alice, bob, carol: team members;
   * pat: the platform team) through the sandbox-only personas sign-in.
   */
  async token(who = 'guest'): Promise<string> {
    return (await this.identity(who)).token;
  }

  /** The sign-in's answer: the token and the teams the catalog gave the person. */
  async identity(
    who = 'guest',
  ): Promise<{ token: string; ownershipEntityRefs: string[] }> {
    const res = await fetch(
      `${this.baseUrl}/api/auth/${
        who === 'guest' ? 'guest' : 'personas'
      }/refresh`,
      {
        headers: {
          'x-requested-with': 'XMLHttpRequest',
          ...(who === 'guest' ? {} : { 'x-tenancy-persona': who }),
        },
      },
    );
    if (!res.ok) {
      throw new Error(
        `sign-in as ${who} on ${this.options.name}: ${
          res.status
        } ${await res.text()}`,
      );
    }
    const identity = (await res.json()).backstageIdentity;
    if (typeof identity?.token !== 'string') {
      throw new Error(`no token for ${who}`);
    }
    return {
      token: identity.token,
      ownershipEntityRefs: identity.identity?.ownershipEntityRefs ?? [],
    };
  }

  /** The guest's Backstage token (the local sign-in), as the app gets it. */
  guestToken(): Promise<string> {
    return this.token('guest');
  }

  /**
   * Signs `who` in once the catalog knows them and their teams (the token
   * carries a group) and the given templates: on a fresh database the
   * catalog needs a few seconds to read its locations.
   */
  async signIn(who: string, templates: string[] = []): Promise<string> {
    return eventually(
      `${
        this.options.name
      }'s catalog to have user:default/${who} in a team and ${
        templates.join(', ') || 'no template'
      }`,
      async () => {
        try {
          const { token, ownershipEntityRefs } = await this.identity(who);
          if (!ownershipEntityRefs.some(r => r.startsWith('group:')))
            return undefined;
          for (const name of templates) {
            await this.api(
              token,
              `/api/catalog/entities/by-name/template/default/${name}`,
            );
          }
          return token;
        } catch {
          return undefined;
        }
      },
      180_000,
      500,
    );
  }

  /** {@link PortalProcess.signIn} as the guest. */
  signInGuest(templates: string[] = []): Promise<string> {
    return this.signIn('guest', templates);
  }

  /** GET/POST as `token`, JSON in and out; throws on a non-2xx answer. */
  async api<T = any>(
    token: string,
    urlPath: string,
    init: { method?: string; body?: unknown } = {},
  ): Promise<T> {
    const res = await fetch(`${this.baseUrl}${urlPath}`, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Bearer ${token}`,
        ...(init.body === undefined
          ? {}
          : { 'content-type': 'application/json' }),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (!res.ok) {
      throw new Error(
        `${init.method ?? 'GET'} ${urlPath} on ${this.options.name}: ${
          res.status
        } ${text.slice(0, 500)}`,
      );
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

/** A scaffolder task's events, as its page shows them. */
export interface TaskEvent {
  type: string;
  body: { message?: string; stepId?: string; status?: string } & JsonObject;
}

/** Scaffolder calls the crash and replica tests make through a portal's API. */
export const scaffolder = {
  async start(
    portal: PortalProcess,
    token: string,
    template: string,
    values: JsonObject,
  ): Promise<string> {
    const created = await portal.api<{ id: string }>(
      token,
      '/api/scaffolder/v2/tasks',
      {
        method: 'POST',
        body: { templateRef: `template:default/${template}`, values },
      },
    );
    return created.id;
  },

  async task(portal: PortalProcess, token: string, id: string) {
    return portal.api<{ status: string; lastHeartbeatAt?: string }>(
      token,
      `/api/scaffolder/v2/tasks/${id}`,
    );
  },

  async events(
    portal: PortalProcess,
    token: string,
    id: string,
  ): Promise<TaskEvent[]> {
    return portal.api<TaskEvent[]>(
      token,
      `/api/scaffolder/v2/tasks/${id}/events`,
    );
  },

  /** Until the task's log has a line matching `pattern`. */
  async waitForLog(
    portal: PortalProcess,
    token: string,
    id: string,
    pattern: RegExp,
    timeoutMs = 120_000,
  ): Promise<TaskEvent[]> {
    let seen: TaskEvent[] = [];
    return eventually(
      `task ${id} to log ${pattern}`,
      async () => {
        seen = await scaffolder.events(portal, token, id);
        return seen.some(e => pattern.test(messageOf(e))) ? seen : undefined;
      },
      timeoutMs,
      200,
    ).catch(error => {
      throw new Error(
        `${error.message}; the task's log so far:\n${messages(seen).join(
          '\n',
        )}`,
      );
    });
  },

  /** Until the task is completed or failed. */
  async waitForEnd(
    portal: PortalProcess,
    token: string,
    id: string,
    timeoutMs = 180_000,
  ) {
    return eventually(
      `task ${id} to end`,
      async () => {
        const task = await scaffolder.task(portal, token, id);
        return ['completed', 'failed', 'cancelled'].includes(task.status)
          ? task
          : undefined;
      },
      timeoutMs,
      500,
    );
  },
};

/**
 * The text of one log line as a person reads it on the task page: action
 * log lines arrive as `<coloured level>: <message>`.
 */
export function messageOf(event: TaskEvent): string {
  return (
    (event.body.message ?? `(${event.type})`)
      // eslint-disable-next-line no-control-regex
      .replace(/\x1b\[[0-9;]*m/g, '')
      .replace(/^(info|warn|error|debug): /, '')
  );
}

/** The messages of a task's log, for assertions and failure output. */
export function messages(events: TaskEvent[]): string[] {
  return events.map(messageOf);
}
