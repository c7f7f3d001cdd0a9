import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

/** One request a backend sent to the cluster behind a {@link ClusterProxy}. */
export interface ProxiedRequest {
  method: string;
  path: string;
  at: number;
}

/**
 * A {@link ClusterProxy.hold} predicate for a namespace's onboarding that
 * lets the first read of it through and holds what follows. Onboarding reads
 * the namespace on every target cluster (one GET each: is the name another
 * team's?) before it claims it on any, so holding that read would hold the
 * whole run, not just this cluster's part of it.
 */
export function afterOwnershipCheck(
  namespace: string,
): (r: ProxiedRequest) => boolean {
  let checked = false;
  return r => {
    if (!r.path.includes(`namespaces/${namespace}`)) return false;
    if (!checked && r.method === 'GET') {
      checked = true;
      return false;
    }
    return true;
  };
}

/**
 * A plain-HTTP front for one real sandbox kube-apiserver that counts every
 * request a portal backend sends it and can hold chosen requests (a slowed
 * cluster) until released. The count is made outside the backend under test,
 * so a test can say how many requests the backends really sent. TLS to the
 * cluster is verified with the cluster's own CA.
 */
export class ClusterProxy {
  readonly requests: ProxiedRequest[] = [];
  private holdIf?: (r: ProxiedRequest) => boolean;
  private readonly held = new Set<() => void>();
  private readonly server: http.Server;
  private readonly sockets = new Set<net.Socket>();
  url = '';

  private constructor(
    readonly name: string,
    private readonly upstream: URL,
    private readonly ca: Buffer,
  ) {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.on('connection', socket => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  /** @param cluster - a sandbox cluster: its https URL and base64 CA. */
  static async start(cluster: {
    name: string;
    url: string;
    caData: string;
  }): Promise<ClusterProxy> {
    const proxy = new ClusterProxy(
      cluster.name,
      new URL(cluster.url),
      Buffer.from(cluster.caData, 'base64'),
    );
    await new Promise<void>(resolve =>
      proxy.server.listen(0, '127.0.0.1', resolve),
    );
    const { port } = proxy.server.address() as net.AddressInfo;
    proxy.url = `http://127.0.0.1:${port}`;
    return proxy;
  }

  /** Requests matching `predicate` wait (unanswered) until {@link release}. */
  hold(predicate: (r: ProxiedRequest) => boolean): void {
    this.holdIf = predicate;
  }

  /** Lets every held request through (unless its client is gone) and stops holding. */
  release(): void {
    this.holdIf = undefined;
    for (const go of this.held) go();
    this.held.clear();
  }

  /** How many requests are waiting in {@link hold}. */
  get heldCount(): number {
    return this.held.size;
  }

  count(predicate: (r: ProxiedRequest) => boolean = () => true): number {
    return this.requests.filter(predicate).length;
  }

  /** Stops: held requests are dropped, never forwarded. */
  async close(): Promise<void> {
    this.holdIf = undefined;
    this.held.clear();
    for (const socket of this.sockets) socket.destroy();
    await new Promise(resolve => this.server.close(() => resolve(undefined)));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const entry: ProxiedRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      at: Date.now(),
    };
    this.requests.push(entry);
    let gone = false;
    res.once('close', () => {
      gone = true;
    });
    const forward = () => {
      // The backend went away (e.g. was killed) while the request was held:
      // it must not reach the cluster after all.
      if (gone || req.socket.destroyed) return;
      const upstream = https.request(
        {
          host: this.upstream.hostname,
          port: this.upstream.port,
          method: entry.method,
          path: entry.path,
          headers: { ...req.headers, host: this.upstream.host },
          ca: this.ca,
        },
        answer => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', error => {
        if (!res.headersSent) res.writeHead(502);
        res.end(String(error));
      });
      req.pipe(upstream);
    };
    if (this.holdIf?.(entry)) {
      const go = () => forward();
      this.held.add(go);
      res.once('close', () => this.held.delete(go));
    } else {
      forward();
    }
  }
}
