import type { IncomingMessage, ServerResponse } from 'node:http';

export interface AppOptions {
  /** Reported by `GET /`. */
  name: string;
  /** Reported by `GET /`. */
  version: string;
}

export interface App {
  /** The request listener: pass it to `http.createServer`. */
  readonly handle: (req: IncomingMessage, res: ServerResponse) => void;
  /** False once shutdown has begun: `GET /readyz` then answers 503. */
  readonly ready: boolean;
  /** Starts failing readiness, so that no new traffic is routed here. */
  beginShutdown(): void;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface Reply {
  status: number;
  body: Json;
}

const ALLOWED_METHODS = ['GET', 'HEAD'];

/** The path of a request target, without its query string. */
export function pathOf(url: string | undefined): string {
  return (url ?? '/').split('?', 1)[0] || '/';
}

/**
 * The service's HTTP handler. It holds no server and no port, so it can be
 * mounted on any `http.Server` (and tested with one on port 0).
 */
export function createApp(options: AppOptions): App {
  let ready = true;

  const routes = new Map<string, () => Reply>([
    // Liveness: the process is up and serving. It stays 200 during shutdown,
    // so that Kubernetes does not restart a pod that is draining.
    ['/healthz', () => ({ status: 200, body: { status: 'ok' } })],
    // Readiness: whether this instance should receive traffic.
    [
      '/readyz',
      () =>
        ready
          ? { status: 200, body: { status: 'ready' } }
          : { status: 503, body: { status: 'shutting down' } },
    ],
    [
      '/',
      () => ({
        status: 200,
        body: { name: options.name, version: options.version },
      }),
    ],
  ]);

  function handle(req: IncomingMessage, res: ServerResponse): void {
    let reply: Reply;
    const headers: Record<string, string> = {};
    try {
      const route = routes.get(pathOf(req.url));
      if (!route) {
        reply = { status: 404, body: { error: 'Not Found' } };
      } else if (!ALLOWED_METHODS.includes(req.method ?? '')) {
        reply = { status: 405, body: { error: 'Method Not Allowed' } };
        headers['allow'] = ALLOWED_METHODS.join(', ');
      } else {
        reply = route();
      }
    } catch {
      reply = { status: 500, body: { error: 'Internal Server Error' } };
    }
    // While draining, ask keep-alive clients to reconnect (to another pod).
    if (!ready) headers['connection'] = 'close';
    send(res, reply, headers);
  }

  return {
    handle,
    get ready() {
      return ready;
    },
    beginShutdown() {
      ready = false;
    },
  };
}

function send(
  res: ServerResponse,
  reply: Reply,
  headers: Record<string, string>,
): void {
  const body = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  // For HEAD, Node sends the headers only.
  res.end(body);
}
