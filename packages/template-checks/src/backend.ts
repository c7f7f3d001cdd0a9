import {
  coreServices,
  createServiceFactory,
  RootLoggerService,
} from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { JsonObject } from '@backstage/types';
// The portal's own feature set (packages/backend is an app and exports
// nothing; its features.ts exists so that its entry point and its tests, and
// these checks, start the same modules).
// eslint-disable-next-line @backstage/no-forbidden-package-imports
import { portalFeatures } from 'backend/src/features';
import os from 'node:os';
import {
  ActionInfo,
  CheckTarget,
  DryRunRequest,
  DryRunResponse,
  LogLine,
  postDryRun,
} from './target';

export type { ActionInfo, DryRunRequest, DryRunResponse, LogLine };

/**
 * The backend's root logger: keeps every line (the dry-run check reads the
 * scaffolder's step logs from it, which the dry-run API only returns when the
 * run succeeds) and prints them only when asked to.
 */
class CapturingLogger implements RootLoggerService {
  constructor(
    private readonly sink: LogLine[],
    private readonly meta: Record<string, unknown>,
    private readonly echo: boolean,
  ) {}
  error(message: string, meta?: Error | JsonObject) {
    this.log('error', message, meta);
  }
  warn(message: string, meta?: Error | JsonObject) {
    this.log('warn', message, meta);
  }
  info(message: string, meta?: Error | JsonObject) {
    this.log('info', message, meta);
  }
  debug(message: string, meta?: Error | JsonObject) {
    this.log('debug', message, meta);
  }
  child(meta: JsonObject): CapturingLogger {
    return new CapturingLogger(this.sink, { ...this.meta, ...meta }, this.echo);
  }
  private log(
    level: LogLine['level'],
    message: unknown,
    meta?: Error | JsonObject,
  ) {
    const line: LogLine = {
      level,
      message: stripAnsi(String(message)),
      meta: { ...this.meta, ...(meta instanceof Error ? {} : meta) },
    };
    this.sink.push(line);
    if (this.sink.length > 20_000) this.sink.splice(0, 10_000);
    if (this.echo) {
      const labels = Object.entries(line.meta)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');
      process.stderr.write(`  [backend ${level}] ${labels} ${line.message}\n`);
    }
  }
}

export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}

export interface CheckBackendOptions {
  /**
   * Config merged over the defaults: the sandbox overlay's `kubernetes`,
   * `tenancy` and `integrations` sections when a sandbox is running.
   */
  config?: JsonObject;
  /** Print the backend's log lines on stderr. */
  echoLogs?: boolean;
}

/**
 * A real backend for the checks — the portal's scaffolder, catalog and
 * permission features (`portalFeatures` of packages/backend, the same
 * modules the portal runs), on an in-memory SQLite database — started once
 * per run with `startTestBackend`.
 */
export class CheckBackend implements CheckTarget {
  readonly logs: LogLine[];
  private readonly backend: Awaited<ReturnType<typeof startTestBackend>>;
  readonly baseUrl: string;
  private actionList?: ActionInfo[];

  static async start(options: CheckBackendOptions = {}): Promise<CheckBackend> {
    const logs: LogLine[] = [];
    const config: JsonObject = {
      backend: {
        baseUrl: 'http://localhost:7007',
        database: { client: 'better-sqlite3', connection: ':memory:' },
        workingDirectory: os.tmpdir(),
      },
      catalog: {
        rules: [{ allow: ['Component', 'System', 'Group', 'User'] }],
        locations: [],
      },
      ...options.config,
    };
    const backend = await startTestBackend({
      features: [
        ...portalFeatures.scaffolder,
        ...portalFeatures.catalog,
        ...portalFeatures.permission,
        mockServices.rootConfig.factory({ data: config }),
        createServiceFactory({
          service: coreServices.rootLogger,
          deps: {},
          factory: () =>
            new CapturingLogger(logs, {}, options.echoLogs ?? false),
        }),
      ],
    });
    return new CheckBackend(backend, logs);
  }

  private constructor(
    backend: Awaited<ReturnType<typeof startTestBackend>>,
    logs: LogLine[],
  ) {
    this.backend = backend;
    this.logs = logs;
    this.baseUrl = `http://localhost:${backend.server.port()}`;
  }

  /** The scaffolder's registered actions (`GET /api/scaffolder/v2/actions`). */
  async actions(): Promise<ActionInfo[]> {
    if (!this.actionList) {
      const res = await fetch(`${this.baseUrl}/api/scaffolder/v2/actions`);
      if (!res.ok) {
        throw new Error(
          `GET /api/scaffolder/v2/actions answered ${
            res.status
          }: ${await res.text()}`,
        );
      }
      this.actionList = (await res.json()) as ActionInfo[];
    }
    return this.actionList;
  }

  /** `POST /api/scaffolder/v2/dry-run`: the scaffolder's own dry run. */
  async dryRun(
    request: DryRunRequest,
    options: { timeoutMs?: number } = {},
  ): Promise<DryRunResponse> {
    return postDryRun(this.baseUrl, request, options);
  }

  async stop(): Promise<void> {
    await this.backend.stop();
  }
}
