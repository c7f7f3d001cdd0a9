/** What Linux's /proc tells about processes: open files, memory, CPU. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/**
 * Every process's open file descriptors, as `fn(pid, link)` of what each
 * links to (e.g. `socket:[123]`, `anon_inode:inotify`), until `fn` returns
 * true; the pid it stopped at. Processes that are gone or not ours to read
 * are passed over. Throws where there is no /proc.
 */
export function findFd(
  fn: (pid: number, link: string) => boolean,
): number | undefined {
  for (const pid of fs.readdirSync('/proc').filter(p => /^\d+$/.test(p))) {
    try {
      for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
        try {
          if (fn(Number(pid), fs.readlinkSync(`/proc/${pid}/fd/${fd}`))) {
            return Number(pid);
          }
        } catch {
          // closed meanwhile
        }
      }
    } catch {
      // gone, or not ours to read
    }
  }
  return undefined;
}

/**
 * The pid of the process listening on 127.0.0.1:port: for a Backend, its
 * node process (src/index.ts), the grandchild of the `yarn` it starts.
 */
export function listenerPid(port: number): number | undefined {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  let inode: string | undefined;
  for (const line of fs
    .readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1]?.endsWith(`:${hex}`) && f[3] === '0A') inode = f[9];
  }
  if (!inode) return undefined;
  const target = `socket:[${inode}]`;
  return findFd((_, link) => link === target);
}

/** VmRSS and VmHWM (the kernel's peak) of a process, in KiB. */
export function memoryOf(
  pid: number,
): { rssKiB: number; hwmKiB: number } | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) =>
      Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
    return { rssKiB: field('VmRSS'), hwmKiB: field('VmHWM') };
  } catch {
    return undefined;
  }
}

let clockTicks = 0;

/** Clock ticks per second, the unit of /proc's CPU times. */
export function clockTicksPerSecond(): number {
  if (!clockTicks) {
    try {
      clockTicks = Number(
        execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }),
      );
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** User + system CPU seconds a process has used. */
export function cpuSecondsOf(pid: number): number | undefined {
  clockTicksPerSecond();
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime: fields 14 and 15 of stat(5), 12 and 13 after ")".
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return undefined;
  }
}

/** The machine's busy and total CPU time so far (/proc/stat), in clock ticks. */
export function machineCpu(): { busy: number; total: number } {
  const [, ...fields] = fs
    .readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .trim()
    .split(/\s+/);
  // user nice system idle iowait irq softirq steal (guest is in user already)
  const t = fields.slice(0, 8).map(Number);
  const total = t.reduce((x, y) => x + y, 0);
  // Steal is time the hypervisor gave to others: not work done here.
  return { busy: total - t[3] - t[4] - t[7], total };
}
