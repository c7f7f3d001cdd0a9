import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Logger of the sandbox's pieces; receives one line per call. */
export type VenvLog = (message: string) => void;

export interface EnsureVenvOptions {
  /** Machine-wide cache folder (e.g. `~/.cache/tenancy`); the venv lives below it. */
  cacheDir: string;
  /** The venv's folder name, keyed by version, e.g. `moto-5.2.5`. */
  name: string;
  /** What pip installs, pinned, e.g. `moto[server]==5.2.5`. */
  requirement: string;
  /** An executable in the venv's `bin/` that a complete install has. */
  executable: string;
  log?: VenvLog;
  /** The Python used to create the venv. Default `python3`. */
  python?: string;
}

const INSTALLED_MARKER = '.tenancy-installed';

function run(
  command: string,
  args: string[],
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
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

/** Whether a pid runs (EPERM: it exists but belongs to another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
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
  what: string,
  log: VenvLog,
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
      log(`waiting for pid ${owner || '?'}, which is installing ${what}`);
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

async function install(venv: string, options: EnsureVenvOptions) {
  const log = options.log ?? (() => {});
  const python = options.python ?? 'python3';
  const started = Date.now();
  log(`installing ${options.requirement} into ${venv}`);
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
  const installed = await run(path.join(venv, 'bin', 'pip'), [
    'install',
    '--disable-pip-version-check',
    '--no-input',
    '--quiet',
    options.requirement,
  ]);
  if (
    installed.code !== 0 ||
    !fs.existsSync(path.join(venv, 'bin', options.executable))
  ) {
    throw new Error(
      `pip install ${options.requirement} failed (exit ${
        installed.code
      }):\n${tail(installed.output)}`,
    );
  }
  await fs.promises.writeFile(
    path.join(venv, INSTALLED_MARKER),
    `${options.requirement} ${new Date().toISOString()}\n`,
  );
  log(
    `${options.requirement} installed in ${(
      (Date.now() - started) /
      1000
    ).toFixed(1)}s`,
  );
}

/**
 * Makes sure a Python venv with one pinned requirement is in the cache and
 * returns its folder. Idempotent: a marker written after a successful install
 * tells a complete venv from one a killed run left half done, which is then
 * rebuilt from scratch.
 */
export async function ensureVenv(options: EnsureVenvOptions): Promise<string> {
  const log = options.log ?? (() => {});
  const venv = path.join(options.cacheDir, options.name);
  // existsSync follows links: after a Python upgrade the venv's interpreter
  // link dangles and the venv must be made again.
  const installed = () =>
    fs.existsSync(path.join(venv, INSTALLED_MARKER)) &&
    fs.existsSync(path.join(venv, 'bin', 'python')) &&
    fs.existsSync(path.join(venv, 'bin', options.executable));

  if (installed()) return venv;
  await fs.promises.mkdir(options.cacheDir, { recursive: true });
  return withLock(`${venv}.lock`, options.requirement, log, async () => {
    // Another process may have finished while we waited for the lock.
    if (!installed()) await install(venv, options);
    return venv;
  });
}
