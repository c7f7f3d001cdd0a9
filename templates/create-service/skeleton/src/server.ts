// Entry point: `node src/server.ts`. Configuration comes from the environment:
//   PORT                 port to listen on (default 8080; 0 picks a free one)
//   SHUTDOWN_DELAY_MS    keep serving this long after SIGTERM, with readiness
//                        failing, before closing (default 0)
//   SHUTDOWN_TIMEOUT_MS  then wait at most this long for in-flight requests
//                        before exiting with code 1 (default 10000)
import { readFileSync } from 'node:fs';
import { createApp } from './app.ts';
import { jsonLog as log, serve } from './serve.ts';

function intFromEnv(name: string, fallback: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new Error(
      `${name} must be an integer from 0 to ${max}, got "${raw}"`,
    );
  }
  return value;
}

const pkg = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
) as { name: string; version: string };

try {
  const port = intFromEnv('PORT', 8080, 65535);
  const drainDelayMs = intFromEnv('SHUTDOWN_DELAY_MS', 0, 600_000);
  const shutdownTimeoutMs = intFromEnv('SHUTDOWN_TIMEOUT_MS', 10_000, 600_000);

  const app = createApp({ name: pkg.name, version: pkg.version });
  const server = await serve(app, { port, drainDelayMs, log });
  log({ msg: 'listening', port: server.port, version: pkg.version });

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log({ level: 'warn', msg: 'second signal, exiting now', signal });
      process.exit(1);
    }
    stopping = true;
    log({ msg: 'shutting down', signal });
    setTimeout(() => {
      log({ level: 'error', msg: 'shutdown timed out, exiting' });
      process.exit(1);
    }, drainDelayMs + shutdownTimeoutMs).unref();
    server.shutdown().then(
      () => {
        log({ msg: 'stopped' });
        process.exit(0);
      },
      (error: unknown) => {
        log({ level: 'error', msg: 'shutdown failed', error: String(error) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} catch (error) {
  log({ level: 'error', msg: 'failed to start', error: String(error) });
  process.exit(1);
}
