import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

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

function run(
  command: string,
  args: string[],
  options: { cwd?: string } = {},
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', reject);
    child.on('close', code =>
      resolve({ code, output: Buffer.concat(chunks).toString('utf8') }),
    );
  });
}

function tail(text: string, lines = 30): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

const INSTALLED_MARKER = '.tenancy-installed';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Serialises installs across processes (parallel jest workers, CI beside a
 * developer's sandbox) with a lock folder holding the owner's pid. A lock
 * whose owner died, or that got no pid within a minute, is taken over.
 */
async function withLock<T>(
  lockDir: string,
  log: LogFn,
  fn: () => Promise<T>,
): Promise<T> {
  const pidFile = path.join(lockDir, 'pid');
  let waiting = false;
  for (;;) {
    try {
      await fs.promises.mkdir(lockDir);
      await fs.promises.writeFile(pidFile, String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = Number(
      await fs.promises.readFile(pidFile, 'utf8').catch(() => '0'),
    );
    const age = await fs.promises
      .stat(lockDir)
      .then(st => Date.now() - st.mtimeMs)
      .catch(() => 0);
    if ((owner > 0 && !isAlive(owner)) || (owner === 0 && age > 60_000)) {
      await fs.promises.rm(lockDir, { recursive: true, force: true });
      continue;
    }
    if (!waiting) {
      log(`waiting for pid ${owner || '?'}, which is installing moto`);
      waiting = true;
    }
    await new Promise(r => setTimeout(r, 500));
  }
  try {
    return await fn();
  } finally {
    await fs.promises.rm(lockDir, { recursive: true, force: true });
  }
}

async function install(venv: string, python: string, log: LogFn) {
  const motoServer = path.join(venv, 'bin', 'moto_server');
  const started = Date.now();
  log(`installing moto[server]==${MOTO_VERSION} into ${venv}`);
  // Whatever is there is a half install: start clean.
  await fs.promises.rm(venv, { recursive: true, force: true });

  const created = await run(python, ['-m', 'venv', venv]);
  if (created.code !== 0) {
    throw new Error(
      `${python} -m venv ${venv} failed (exit ${created.code}):\n${tail(
        created.output,
      )}`,
    );
  }
  const pip = path.join(venv, 'bin', 'pip');
  const installed = await run(pip, [
    'install',
    '--disable-pip-version-check',
    '--no-input',
    '--quiet',
    `moto[server]==${MOTO_VERSION}`,
  ]);
  if (installed.code !== 0 || !fs.existsSync(motoServer)) {
    throw new Error(
      `pip install moto[server]==${MOTO_VERSION} failed (exit ${
        installed.code
      }):\n${tail(installed.output)}`,
    );
  }
  await fs.promises.writeFile(
    path.join(venv, INSTALLED_MARKER),
    `moto[server]==${MOTO_VERSION} ${new Date().toISOString()}\n`,
  );
  log(
    `moto ${MOTO_VERSION} installed in ${(
      (Date.now() - started) /
      1000
    ).toFixed(1)}s`,
  );
}

/**
 * Makes sure a venv with moto's server is in the cache and returns the path
 * of its `moto_server` executable. Idempotent: a marker written after a
 * successful install tells a complete venv from one a killed run left half
 * done, which is then rebuilt from scratch.
 */
export async function ensureMoto(options: EnsureMotoOptions): Promise<string> {
  const log = options.log ?? (() => {});
  const python = options.python ?? 'python3';
  const venv = path.join(options.cacheDir, `moto-${MOTO_VERSION}`);
  const motoServer = path.join(venv, 'bin', 'moto_server');
  const installed = () =>
    fs.existsSync(path.join(venv, INSTALLED_MARKER)) &&
    fs.existsSync(motoServer);

  if (installed()) return motoServer;
  await fs.promises.mkdir(options.cacheDir, { recursive: true });
  return withLock(`${venv}.lock`, log, async () => {
    // Another process may have finished while we waited for the lock.
    if (!installed()) await install(venv, python, log);
    return motoServer;
  });
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
