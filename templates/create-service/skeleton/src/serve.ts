import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathOf, type App } from './app.ts';

/** Writes one structured log entry. */
export type Log = (entry: Record<string, unknown>) => void;

/** One JSON object per line on stdout: what log collectors expect. */
export const jsonLog: Log = entry => {
  process.stdout.write(
    `${JSON.stringify({
      time: new Date().toISOString(),
      level: 'info',
      ...entry,
    })}\n`,
  );
};

export interface ServeOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string;
  log?: Log;
  /**
   * How long to keep serving after readiness starts failing, so that the
   * Service's endpoints drop this pod before it stops accepting connections.
   */
  drainDelayMs?: number;
}

export interface RunningServer {
  /** The port actually listened on. */
  readonly port: number;
  /**
   * Fails readiness, waits `drainDelayMs`, then stops accepting connections
   * and resolves once in-flight requests are done. Safe to call twice.
   */
  shutdown(): Promise<void>;
}

/** Serves `app` over HTTP, logging one line per request. */
export async function serve(
  app: App,
  options: ServeOptions,
): Promise<RunningServer> {
  const log = options.log ?? jsonLog;
  const drainDelayMs = options.drainDelayMs ?? 0;

  const server = createServer((req, res) => {
    const started = performance.now();
    res.once('close', () => {
      log({
        msg: 'request',
        method: req.method,
        path: pathOf(req.url),
        status: res.statusCode,
        ms: Math.round((performance.now() - started) * 100) / 100,
      });
    });
    app.handle(req, res);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  let stopped: Promise<void> | undefined;
  async function stop(): Promise<void> {
    app.beginShutdown();
    if (drainDelayMs > 0) await sleep(drainDelayMs);
    await new Promise<void>((resolve, reject) => {
      // Also closes idle keep-alive connections; busy ones close after their
      // response, which carries `connection: close` while shutting down.
      server.close(error => (error ? reject(error) : resolve()));
    });
  }

  return {
    port,
    shutdown() {
      stopped ??= stop();
      return stopped;
    },
  };
}
