import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** A long-running process of the sandbox, started detached so `up` can return. */
export interface ProcessSpec {
  /** Unique within the sandbox, e.g. `sandbox-a/kube-apiserver`. */
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

interface PidFile {
  name: string;
  pid: number;
  command: string;
  startedAt: string;
}

function fileName(name: string) {
  return name.replace(/[^a-zA-Z0-9.-]+/g, '_');
}

function commandLineOf(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return undefined;
  }
}

/**
 * Starts, tracks and stops the sandbox's processes through pid files, so that
 * `down` in another process (or after a crash) can still find and stop them.
 * A pid is only trusted while /proc says it still runs the same command, so a
 * recycled pid is never killed.
 */
export class ProcessSupervisor {
  private readonly pidDir: string;
  readonly logDir: string;

  private readonly marker: string;

  constructor(stateDir: string) {
    this.pidDir = path.join(stateDir, 'pids');
    this.logDir = path.join(stateDir, 'logs');
    // Every process of this sandbox (and only those: not the CLI or a test
    // runner that merely chose the state folder) carries this in its
    // environment, so that `down` finds it even if its pid file is gone.
    this.marker = `TENANCY_SANDBOX_MEMBER_OF=${path.resolve(stateDir)}`;
  }

  logFile(name: string) {
    return path.join(this.logDir, `${fileName(name)}.log`);
  }

  start(spec: ProcessSpec): number {
    fs.mkdirSync(this.pidDir, { recursive: true });
    fs.mkdirSync(this.logDir, { recursive: true });
    const out = fs.openSync(this.logFile(spec.name), 'a');
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: {
        ...(spec.env ?? process.env),
        TENANCY_SANDBOX_MEMBER_OF: this.marker.slice(
          this.marker.indexOf('=') + 1,
        ),
      },
      detached: true,
      stdio: ['ignore', out, out],
    });
    fs.closeSync(out);
    if (!child.pid) {
      throw new Error(`Could not start ${spec.name} (${spec.command})`);
    }
    child.unref();
    const record: PidFile = {
      name: spec.name,
      pid: child.pid,
      command: spec.command,
      startedAt: new Date().toISOString(),
    };
    fs.writeFileSync(
      path.join(this.pidDir, `${fileName(spec.name)}.json`),
      JSON.stringify(record),
    );
    return child.pid;
  }

  private records(): PidFile[] {
    if (!fs.existsSync(this.pidDir)) return [];
    return fs
      .readdirSync(this.pidDir)
      .filter(f => f.endsWith('.json'))
      .map(
        f =>
          JSON.parse(
            fs.readFileSync(path.join(this.pidDir, f), 'utf8'),
          ) as PidFile,
      )
      .sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  }

  private alive(record: PidFile): boolean {
    const cmdline = commandLineOf(record.pid);
    return (
      cmdline !== undefined && cmdline.includes(path.basename(record.command))
    );
  }

  /** Every tracked process and whether it is still running. */
  list(): Array<{ name: string; pid: number; running: boolean }> {
    return this.records().map(r => ({
      name: r.name,
      pid: r.pid,
      running: this.alive(r),
    }));
  }

  isRunning(name: string): boolean {
    return this.records().some(r => r.name === name && this.alive(r));
  }

  private running(name: string): PidFile {
    const record = this.records().find(r => r.name === name && this.alive(r));
    if (!record) throw new Error(`${name} is not running`);
    return record;
  }

  /**
   * Freezes a process (SIGSTOP): its listening socket still accepts TCP
   * connections (the kernel completes the handshake into the backlog) but
   * nothing ever answers — a black hole on the real endpoint.
   */
  pause(name: string): void {
    process.kill(this.running(name).pid, 'SIGSTOP');
    this.settle(name, true);
  }

  /** Lets a paused process run again (SIGCONT). */
  resume(name: string): void {
    process.kill(this.running(name).pid, 'SIGCONT');
    this.settle(name, false);
  }

  /**
   * Signals are delivered asynchronously: wait (briefly) until /proc shows
   * the process stopped or running, so callers see the state they asked for.
   */
  private settle(name: string, paused: boolean): void {
    const deadline = Date.now() + 5_000;
    while (this.isPaused(name) !== paused) {
      if (Date.now() > deadline) {
        throw new Error(
          `${name} did not ${paused ? 'stop' : 'continue'} within 5 s`,
        );
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }

  /** Whether the process is frozen by {@link ProcessSupervisor.pause}. */
  isPaused(name: string): boolean {
    const record = this.records().find(r => r.name === name && this.alive(r));
    if (!record) return false;
    try {
      // /proc/<pid>/stat: "pid (comm) S ...": state T is stopped.
      const stat = fs.readFileSync(`/proc/${record.pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2).startsWith('T');
    } catch {
      return false;
    }
  }

  /** The last lines of a process's log, for error messages. */
  tail(name: string, lines = 20): string {
    try {
      return fs
        .readFileSync(this.logFile(name), 'utf8')
        .trimEnd()
        .split('\n')
        .slice(-lines)
        .join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Pids of every live process started for this sandbox, pid file or not. */
  strays(): number[] {
    const pids: number[] = [];
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
      try {
        const environ = fs
          .readFileSync(`/proc/${entry}/environ`, 'utf8')
          .split('\0');
        if (environ.includes(this.marker) && commandLineOf(Number(entry)))
          pids.push(Number(entry));
      } catch {
        // gone, or not ours to read
      }
    }
    return pids;
  }

  /**
   * Stops every tracked process, newest first (kwok and controllers before
   * their apiserver, apiservers before etcd): TERM, then KILL after the grace
   * period. Resolves once none of them runs.
   */
  async stopAll(graceMs = 10_000): Promise<string[]> {
    const records = this.records().reverse();
    const stopped: string[] = [];
    for (const record of records) {
      if (this.alive(record)) {
        try {
          process.kill(record.pid, 'SIGTERM');
          // A paused (black-holed) process only sees TERM once it runs again.
          process.kill(record.pid, 'SIGCONT');
        } catch {
          // already gone
        }
        stopped.push(record.name);
      }
    }
    const deadline = Date.now() + graceMs;
    while (records.some(r => this.alive(r)) && Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 100));
    }
    for (const record of records) {
      if (this.alive(record)) {
        try {
          process.kill(record.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    while (records.some(r => this.alive(r))) {
      await new Promise(resolve => setTimeout(resolve, 50));
    }
    for (const record of records) {
      fs.rmSync(path.join(this.pidDir, `${fileName(record.name)}.json`), {
        force: true,
      });
    }
    // Whatever escaped the pid files (a crashed `up`, a child of a child).
    for (const pid of this.strays()) {
      try {
        process.kill(pid, 'SIGKILL');
        stopped.push(`pid ${pid}`);
      } catch {
        // already gone
      }
    }
    return stopped;
  }
}
