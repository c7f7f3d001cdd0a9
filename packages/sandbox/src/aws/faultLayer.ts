import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { JSON_11, Reply } from './awsJson';
import { FaultRules } from './faultRules';
import {
  ActiveFaultRule,
  FAULTS_PATH,
  FaultListing,
  FaultRule,
  FaultRuleError,
} from './faults';
import { OrganizationsResponder } from './organizationsResponder';
import { MotoUpstream } from './upstream';

export { accessKeyIdFrom } from './awsJson';

const TARGET_PREFIX = 'AWSOrganizationsV20161128.';
const MAX_BODY = 1024 * 1024;

/** Options for {@link createFaultLayer}. */
export interface FaultLayerOptions {
  /** moto's URL, e.g. `http://127.0.0.1:5000`. */
  upstream: string;
  /** Receives one line per injected fault; never credentials. */
  log?: (message: string) => void;
}

/** The fault-injecting proxy in front of moto. */
export interface FaultLayer {
  /** Binds 127.0.0.1 (port 0 or absent: any free port) and returns the URL. */
  listen(port?: number): Promise<string>;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
  /** Validates and appends a rule; returns its id. Throws FaultRuleError. */
  addRule(rule: FaultRule): string;
  listRules(): ActiveFaultRule[];
  /** Removes one rule; false if there was none by that id. */
  removeRule(id: string): boolean;
  /** Removes every rule; requests already being faked keep their course. */
  clearRules(): void;
  /** Rules plus the CreateAccount requests whose status is being faked. */
  listing(): FaultListing;
  /**
   * Forgets rules and faked requests. A `POST /moto-api/reset` through the
   * layer does this too, since the accounts those requests refer to are gone.
   */
  reset(): void;
}

/** A request the layer refuses before anything reaches moto (e.g. 413). */
class RequestError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Keep draining so the 413 can still be sent on this connection.
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () =>
      size > MAX_BODY
        ? reject(new RequestError(413, `request body over ${MAX_BODY} bytes`))
        : resolve(Buffer.concat(chunks)),
    );
    req.on('error', reject);
  });
}

function sendJson(res: http.ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function sendAdminError(
  res: http.ServerResponse,
  status: number,
  name: string,
  message: string,
) {
  sendJson(res, status, { error: { name, message } });
}

/** `POST /__tenancy/faults`: one rule as JSON; 201 with its id. */
async function addRuleFromBody(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  rules: FaultRules,
) {
  const raw = await readBody(req);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    sendAdminError(
      res,
      400,
      'InputError',
      'the body must be one fault rule as JSON',
    );
    return;
  }
  try {
    sendJson(res, 201, { id: rules.add(parsed as FaultRule) });
  } catch (e) {
    if (e instanceof FaultRuleError) {
      sendAdminError(
        res,
        400,
        'InputError',
        `invalid fault rule: ${e.message}`,
      );
      return;
    }
    throw e;
  }
}

/**
 * The admin API on `/__tenancy/faults`: GET lists, POST adds a rule, DELETE
 * clears them all; `DELETE /__tenancy/faults/<id>` removes one.
 */
async function serveAdminApi(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  pathname: string,
  layer: { rules: FaultRules; listing(): FaultListing },
) {
  const rest = pathname.slice(FAULTS_PATH.length);
  if (rest === '' || rest === '/') {
    if (req.method === 'GET') {
      sendJson(res, 200, layer.listing());
    } else if (req.method === 'DELETE') {
      sendJson(res, 200, { cleared: layer.rules.clear() });
    } else if (req.method === 'POST') {
      await addRuleFromBody(req, res, layer.rules);
    } else {
      res.setHeader('allow', 'GET, POST, DELETE');
      sendAdminError(
        res,
        405,
        'MethodNotAllowed',
        `${req.method} is not supported here`,
      );
    }
    return;
  }
  const id = decodeURIComponent(rest.slice(1));
  if (req.method === 'DELETE' && !id.includes('/')) {
    if (layer.rules.remove(id)) {
      sendJson(res, 200, { removed: id });
    } else {
      sendAdminError(
        res,
        404,
        'NotFoundError',
        `no fault rule with id ${JSON.stringify(id)}`,
      );
    }
    return;
  }
  sendAdminError(
    res,
    404,
    'NotFoundError',
    `no such route: ${req.method} ${pathname}`,
  );
}

/** The Organizations operation named by `X-Amz-Target`, if any. */
function operationOf(req: http.IncomingMessage): string | undefined {
  const target = req.headers['x-amz-target'];
  return typeof target === 'string' && target.startsWith(TARGET_PREFIX)
    ? target.slice(TARGET_PREFIX.length)
    : undefined;
}

/** Passes moto's answer through unchanged (length recomputed). */
function sendUpstream(
  res: http.ServerResponse,
  upstreamRes: {
    status: number;
    headers: http.IncomingHttpHeaders;
    body: Buffer;
  },
) {
  const headers = { ...upstreamRes.headers };
  delete headers['transfer-encoding'];
  headers['content-length'] = String(upstreamRes.body.length);
  res.writeHead(upstreamRes.status, headers);
  res.end(upstreamRes.body);
}

function sendReply(res: http.ServerResponse, reply: Reply) {
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': JSON_11,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
    ...reply.headers,
  });
  res.end(text);
}

/** An AWS-shaped error, so SDK clients surface the message. */
function sendFailure(
  res: http.ServerResponse,
  error: unknown,
  upstreamOrigin: string,
) {
  const status = error instanceof RequestError ? error.status : 502;
  const message = error instanceof Error ? error.message : String(error);
  const text = JSON.stringify({
    __type: status === 502 ? 'SandboxUpstreamError' : 'SandboxRequestError',
    Message: `fault layer (upstream ${upstreamOrigin}): ${message}`,
  });
  res.writeHead(status, {
    'content-type': JSON_11,
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * Creates the fault layer: an HTTP reverse proxy to moto that answers
 * Organizations calls the way AWS does when things go wrong, per the rules
 * it holds. Rules are tried in insertion order; the first that matches a
 * call applies and uses up one of its `times`.
 */
export function createFaultLayer(options: FaultLayerOptions): FaultLayer {
  const upstream = new MotoUpstream(options.upstream);
  const log = options.log ?? (() => {});
  const rules = new FaultRules();
  const responder = new OrganizationsResponder({ rules, upstream, log });
  let server: http.Server | undefined;

  const listing = (): FaultListing => ({
    rules: rules.list(),
    requests: responder.requests(),
  });
  const reset = () => {
    rules.clear();
    responder.reset();
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (pathname === FAULTS_PATH || pathname.startsWith(`${FAULTS_PATH}/`)) {
      await serveAdminApi(req, res, pathname, { rules, listing });
      return;
    }
    const raw = await readBody(req);
    const operation = operationOf(req);
    if (operation === undefined || req.method !== 'POST') {
      const upstreamRes = await upstream.forward(req, raw);
      if (pathname === '/moto-api/reset' && upstreamRes.status === 200) {
        reset();
      }
      sendUpstream(res, upstreamRes);
      return;
    }
    sendReply(res, await responder.respond(req, operation, raw));
  }

  function listen(port = 0): Promise<string> {
    if (server) {
      return Promise.reject(new Error('the fault layer is already listening'));
    }
    const s = http.createServer((req, res) => {
      handle(req, res).catch((e: unknown) => {
        const message = e instanceof Error ? e.message : String(e);
        log(`fault layer: ${req.method} ${req.url} failed: ${message}`);
        if (res.headersSent) {
          res.destroy();
          return;
        }
        sendFailure(res, e, upstream.origin);
      });
    });
    server = s;
    return new Promise((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        s.off('error', reject);
        resolve(`http://127.0.0.1:${(s.address() as AddressInfo).port}`);
      });
    });
  }

  function close(): Promise<void> {
    const s = server;
    server = undefined;
    upstream.close();
    if (!s) return Promise.resolve();
    return new Promise((resolve, reject) => {
      s.close(err => (err ? reject(err) : resolve()));
      s.closeAllConnections();
    });
  }

  return {
    addRule: rule => rules.add(rule),
    listRules: () => rules.list(),
    removeRule: id => rules.remove(id),
    clearRules: () => {
      rules.clear();
    },
    listing,
    reset,
    listen,
    close,
  };
}
