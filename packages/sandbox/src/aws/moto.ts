import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { ensureVenv, isAlive } from '../venv';

/** The moto release the sandbox is pinned to; the venv folder is keyed by it. */
export const MOTO_VERSION = '5.2.5';

/** Logger used by the sandbox's AWS pieces; receives one line per call. */
export type LogFn = (message: string) => void;

/** Options for {@link ensureMoto}. */
export interface EnsureMotoOptions {
  /** Machine-wide cache folder (e.g. `~/.cache/tenancy`); the venv lives below it. */
  cacheDir: string;
  log?: LogFn;
  /** The Python used to create the venv. Default `python3`. */
  python?: string;
}

/** Options for {@link startMoto}. */
export interface StartMotoOptions {
  /** Path returned by {@link ensureMoto}. */
  motoServer: string;
  port: number;
  /** moto's stdout and stderr go here (appended). */
  logFile: string;
  /** true: moto outlives this process (the sandbox `up` command); false: tests. */
  detached?: boolean;
  /** How long to wait for moto to answer. Default 60 s. */
  timeoutMs?: number;
}

/** A moto server started by {@link startMoto}. */
export interface MotoProcess {
  pid: number;
  url: string;
}

function tail(text: string, lines = 30): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * Makes sure a venv with moto's server is in the cache and returns the path
 * of its `moto_server` executable (see {@link ensureVenv}).
 */
export async function ensureMoto(options: EnsureMotoOptions): Promise<string> {
  const venv = await ensureVenv({
    cacheDir: options.cacheDir,
    name: `moto-${MOTO_VERSION}`,
    requirement: `moto[server]==${MOTO_VERSION}`,
    executable: 'moto_server',
    log: options.log,
    python: options.python,
  });
  return path.join(venv, 'bin', 'moto_server');
}

/** GET /moto-api/ — moto's dashboard route, served once the app is up. */
function probe(url: string): Promise<boolean> {
  return new Promise(resolve => {
    const req = http.get(`${url}/moto-api/`, { timeout: 2000 }, res => {
      res.resume();
      resolve(res.statusCode !== undefined && res.statusCode < 500);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

function readTail(file: string): string {
  try {
    return tail(fs.readFileSync(file, 'utf8'));
  } catch {
    return '(no log)';
  }
}

/**
 * Starts `moto_server` on 127.0.0.1 and resolves once it answers HTTP.
 * Rejects with the log's tail if it exits or stays silent past the timeout.
 */
export async function startMoto(
  options: StartMotoOptions,
): Promise<MotoProcess> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const url = `http://127.0.0.1:${options.port}`;
  await fs.promises.mkdir(path.dirname(options.logFile), { recursive: true });
  const fd = fs.openSync(options.logFile, 'a');
  const child = (() => {
    try {
      return spawn(
        options.motoServer,
        ['-H', '127.0.0.1', '-p', String(options.port)],
        {
          detached: options.detached ?? false,
          stdio: ['ignore', fd, fd],
          env: { ...process.env, PYTHONUNBUFFERED: '1' },
        },
      );
    } finally {
      // The child holds its own copy of the descriptor.
      fs.closeSync(fd);
    }
  })();
  if (options.detached) {
    child.unref();
  }

  let exited: string | undefined;
  let spawnError: Error | undefined;
  child.on('exit', (code, signal) => {
    exited = signal ? `signal ${signal}` : `exit code ${code}`;
  });
  child.on('error', err => {
    spawnError = err;
  });

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (spawnError) {
      throw new Error(
        `could not start ${options.motoServer}: ${spawnError.message}`,
      );
    }
    if (exited) {
      throw new Error(
        `moto_server exited (${exited}) before answering on ${url}; log ${
          options.logFile
        }:\n${readTail(options.logFile)}`,
      );
    }
    if (child.pid !== undefined && (await probe(url))) {
      return { pid: child.pid, url };
    }
    if (Date.now() > deadline) {
      // Leave nothing behind that could later grab the port.
      const gone = new Promise(r => child.once('exit', r));
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(killer);
      throw new Error(
        `moto_server did not answer on ${url} within ${timeoutMs} ms; log ${
          options.logFile
        }:\n${readTail(options.logFile)}`,
      );
    }
    await new Promise(r => setTimeout(r, 200));
  }
}

/**
 * Stops a moto server by pid and waits until it is gone. Safe to call for a
 * pid that already exited.
 */
export async function stopMoto(pid: number, timeoutMs = 10_000): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      return;
    }
    await new Promise(r => setTimeout(r, 100));
  }
}
