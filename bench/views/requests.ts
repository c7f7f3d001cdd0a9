/**
 * The backend's outgoing kube requests, as bench/lib/requestLog.js logs them
 * in the backend process: who made them (ours or the peer) and to which
 * cluster.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

export interface LoggedRequest {
  at: number;
  client: 'http' | 'undici';
  method: string;
  origin: string;
  path: string;
  /** The sandbox cluster the request went to, if any. */
  cluster?: string;
}

/** Reads the lines requestLog.js appends in the backend process. */
export class RequestLog {
  private offset = 0;

  constructor(
    readonly file: string,
    private readonly clusterOf: Map<string, string>,
  ) {}

  /** Where the log ends now: requests from here on are "after". */
  mark(): number {
    this.offset = fs.existsSync(this.file) ? fs.statSync(this.file).size : 0;
    return this.offset;
  }

  /** The kube requests logged since `from` (a mark), complete lines only. */
  since(from: number): LoggedRequest[] {
    if (!fs.existsSync(this.file)) return [];
    const fd = fs.openSync(this.file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const buffer = Buffer.alloc(Math.max(0, size - from));
      fs.readSync(fd, buffer, 0, buffer.length, from);
      const text = buffer.toString('utf8');
      const end = text.lastIndexOf('\n');
      return text
        .slice(0, end + 1)
        .split('\n')
        .filter(Boolean)
        .map(line => {
          const [at, client, method, origin, ...rest] = line.split(' ');
          let cluster: string | undefined;
          try {
            cluster = this.clusterOf.get(new URL(origin).origin);
          } catch {
            cluster = undefined;
          }
          return {
            at: Number(at),
            client: client as LoggedRequest['client'],
            method,
            origin,
            path: rest.join(' '),
            cluster,
          };
        })
        .filter(r => r.cluster);
    } finally {
      fs.closeSync(fd);
    }
  }
}

export function perCluster(requests: LoggedRequest[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of requests) counts[r.cluster!] = (counts[r.cluster!] ?? 0) + 1;
  return Object.fromEntries(
    Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)),
  );
}

export const peerRequests = (rs: LoggedRequest[]) =>
  rs.filter(r => r.client === 'http');
export const oursRequests = (rs: LoggedRequest[]) =>
  rs.filter(r => r.client === 'undici');

/**
 * Sizes of the backend's own refreshes of one cluster: each starts with
 * GET /version; the last group (maybe unfinished) is left out.
 */
export function refreshSizes(
  requests: LoggedRequest[],
  cluster: string,
): number[] {
  const sizes: number[] = [];
  let current = -1;
  for (const r of oursRequests(requests).filter(x => x.cluster === cluster)) {
    if (r.path.startsWith('/version')) {
      if (current >= 0) sizes.push(current);
      current = 1;
    } else if (current >= 0) {
      current++;
    }
  }
  return sizes;
}

/** Established TCP connections to 127.0.0.1:port (from `ss`), if it can tell. */
export function socketsTo(port: number): number | undefined {
  try {
    return execFileSync(
      'ss',
      ['-Htn', 'state', 'established', 'dst', `127.0.0.1:${port}`],
      { encoding: 'utf8' },
    )
      .split('\n')
      .filter(Boolean).length;
  } catch {
    return undefined;
  }
}
