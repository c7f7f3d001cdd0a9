import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ActiveFaultRule,
  FakedCreateAccountRequest,
  FAULTS_PATH,
  FaultListing,
  FaultRule,
  FaultRuleError,
  emailPattern,
  parseFaultRule,
} from './faults';

const TARGET_PREFIX = 'AWSOrganizationsV20161128.';
const JSON_11 = 'application/x-amz-json-1.1';
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

type Json = Record<string, unknown>;

interface StoredRule {
  id: string;
  rule: FaultRule;
  emailRegex?: RegExp;
  remaining: number;
  applied: number;
}

interface TrackedRequest extends FakedCreateAccountRequest {
  requestedTimestamp: number;
  completedTimestamp?: number;
}

interface Reply {
  status: number;
  body: Json;
  headers?: Record<string, string>;
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

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

/**
 * The access key id from a SigV4 `Authorization` header
 * (`AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, ...`).
 */
export function accessKeyIdFrom(
  authorization: string | undefined,
): string | undefined {
  return authorization
    ? /Credential=([^/,\s]+)\//.exec(authorization)?.[1]
    : undefined;
}

function nowSeconds(): number {
  return Date.now() / 1000;
}

/**
 * Creates the fault layer: an HTTP reverse proxy to moto that answers
 * Organizations calls the way AWS does when things go wrong, per the rules
 * it holds. Rules are tried in insertion order; the first that matches a
 * call applies and uses up one of its `times`.
 */
export function createFaultLayer(options: FaultLayerOptions): FaultLayer {
  const upstream = new URL(options.upstream);
  const log = options.log ?? (() => {});
  // Keep-alive to moto; destroyed on close so no socket keeps jest alive.
  const agent = new http.Agent({ keepAlive: true });
  const rules: StoredRule[] = [];
  const tracked = new Map<string, TrackedRequest>();
  let nextId = 1;
  let server: http.Server | undefined;

  function addRule(input: FaultRule): string {
    const rule = parseFaultRule(input);
    const id = `f${nextId++}`;
    rules.push({
      id,
      rule,
      emailRegex: rule.match?.email
        ? emailPattern(rule.match.email)
        : undefined,
      remaining: rule.sticky ? Infinity : rule.times ?? 1,
      applied: 0,
    });
    return id;
  }

  function listRules(): ActiveFaultRule[] {
    return rules.map(r => ({
      id: r.id,
      rule: r.rule,
      remaining: Number.isFinite(r.remaining) ? r.remaining : null,
      applied: r.applied,
    }));
  }

  function removeRule(id: string): boolean {
    const index = rules.findIndex(r => r.id === id);
    if (index < 0) return false;
    rules.splice(index, 1);
    return true;
  }

  function clearRules() {
    rules.length = 0;
  }

  function listing(): FaultListing {
    return {
      rules: listRules(),
      requests: [...tracked.values()].map(t => ({
        requestId: t.requestId,
        ruleId: t.ruleId,
        accountName: t.accountName,
        accountId: t.accountId,
        pollsLeft: t.pollsLeft,
        outcome: t.outcome,
      })),
    };
  }

  function reset() {
    clearRules();
    tracked.clear();
  }

  /**
   * Accounts AWS would not show yet: created by moto but still IN_PROGRESS
   * here (a request stops being tracked once a poll saw it succeed).
   */
  function hiddenAccounts(): Map<string, TrackedRequest> {
    const hidden = new Map<string, TrackedRequest>();
    for (const t of tracked.values()) {
      if (t.accountId && t.outcome === 'SUCCEEDED') hidden.set(t.accountId, t);
    }
    return hidden;
  }

  function matches(
    stored: StoredRule,
    operation: string,
    input: Json,
    accessKeyId: string | undefined,
  ): boolean {
    const { rule } = stored;
    if (rule.type === 'error') {
      if (rule.operation !== '*' && rule.operation !== operation) return false;
    } else if (operation !== 'CreateAccount') {
      return false;
    }
    if (
      rule.match?.accessKeyId !== undefined &&
      rule.match.accessKeyId !== accessKeyId
    ) {
      return false;
    }
    if (rule.match?.email !== undefined) {
      const email = typeof input.Email === 'string' ? input.Email : undefined;
      if (email === undefined) return false;
      if (stored.emailRegex) {
        stored.emailRegex.lastIndex = 0;
        if (!stored.emailRegex.test(email)) return false;
      } else if (email !== rule.match.email) {
        return false;
      }
    }
    return true;
  }

  /** Finds the first matching rule and uses up one of its times. */
  function take(
    operation: string,
    input: Json,
    accessKeyId: string | undefined,
  ): StoredRule | undefined {
    const stored = rules.find(
      r => r.remaining > 0 && matches(r, operation, input, accessKeyId),
    );
    if (!stored) return undefined;
    stored.remaining -= 1;
    stored.applied += 1;
    if (stored.remaining <= 0) removeRule(stored.id);
    return stored;
  }

  function awsError(status: number, type: string, message: string): Reply {
    return {
      status,
      body: { __type: type, Message: message },
      headers: { 'x-amzn-errortype': type },
    };
  }

  function inProgress(t: TrackedRequest): Json {
    return {
      Id: t.requestId,
      AccountName: t.accountName,
      State: 'IN_PROGRESS',
      RequestedTimestamp: t.requestedTimestamp,
    };
  }

  /** What ListCreateAccountStatus shows for a tracked request right now. */
  function statusOf(t: TrackedRequest): Json {
    if (t.pollsLeft > 0 || t.outcome === 'SUCCEEDED') return inProgress(t);
    return {
      Id: t.requestId,
      AccountName: t.accountName,
      State: 'FAILED',
      RequestedTimestamp: t.requestedTimestamp,
      CompletedTimestamp: t.completedTimestamp ?? t.requestedTimestamp,
      FailureReason: t.outcome.failureReason,
    };
  }

  async function forward(
    req: http.IncomingMessage,
    body: Buffer,
  ): Promise<{
    status: number;
    headers: http.IncomingHttpHeaders;
    body: Buffer;
  }> {
    const headers: http.OutgoingHttpHeaders = { ...req.headers };
    headers.host = upstream.host;
    headers['content-length'] = String(body.length);
    // Rewritten answers must be plain JSON.
    delete headers['accept-encoding'];
    delete headers['transfer-encoding'];
    return new Promise((resolve, reject) => {
      const upstreamReq = http.request(
        {
          protocol: upstream.protocol,
          hostname: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers,
          agent,
        },
        res => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 502,
              headers: res.headers,
              body: Buffer.concat(chunks),
            }),
          );
          res.on('error', reject);
        },
      );
      upstreamReq.on('error', reject);
      upstreamReq.end(body);
    });
  }

  async function forwardJson(
    req: http.IncomingMessage,
    input: Json,
  ): Promise<Reply> {
    const res = await forward(req, Buffer.from(JSON.stringify(input)));
    let parsed: unknown;
    try {
      parsed = JSON.parse(res.body.toString('utf8'));
    } catch {
      // moto picks the service from the SigV4 credential scope and falls
      // back to S3 (XML) when there is none.
      const hint = req.headers.authorization
        ? ''
        : ' (the request had no SigV4 Authorization header, so moto treated it as S3)';
      throw new Error(
        `moto answered ${
          res.status
        } with a body that is not JSON${hint}: ${res.body
          .toString('utf8')
          .slice(0, 200)}`,
      );
    }
    if (!isRecord(parsed)) {
      throw new Error(`moto answered ${res.status} with non-object JSON`);
    }
    return { status: res.status, body: parsed };
  }

  function injected(operation: string, ruleId: string, what: string) {
    log(`fault layer: ${operation} ← rule ${ruleId}: ${what}`);
  }

  /** Handles one Organizations call; answers either from a rule or moto. */
  async function organizations(
    req: http.IncomingMessage,
    operation: string,
    raw: Buffer,
  ): Promise<Reply> {
    let input: Json = {};
    if (raw.length > 0) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw.toString('utf8'));
      } catch {
        return awsError(400, 'SerializationException', 'body is not JSON');
      }
      if (!isRecord(parsed)) {
        return awsError(400, 'SerializationException', 'body is not an object');
      }
      input = parsed;
    }
    const accessKeyId = accessKeyIdFrom(req.headers.authorization);

    const stored = take(operation, input, accessKeyId);
    const rule = stored?.rule;
    if (stored && rule?.type === 'error') {
      injected(operation, stored.id, `${rule.status ?? 400} ${rule.error}`);
      return awsError(
        rule.status ?? 400,
        rule.error,
        rule.message ??
          `${rule.error} injected by the Tenancy sandbox fault layer (rule ${stored.id})`,
      );
    }

    if (stored && rule?.type === 'create-account-failure') {
      const requestId = `car-${randomBytes(16).toString('hex')}`;
      const t: TrackedRequest = {
        requestId,
        ruleId: stored.id,
        accountName: String(input.AccountName ?? ''),
        pollsLeft: rule.polls ?? 0,
        outcome: { failureReason: rule.reason },
        requestedTimestamp: nowSeconds(),
      };
      tracked.set(requestId, t);
      injected(
        operation,
        stored.id,
        `IN_PROGRESS ${requestId} (not sent to moto), FAILED ${rule.reason} after ${t.pollsLeft} poll(s)`,
      );
      return {
        status: 200,
        body: { CreateAccountStatus: inProgress(t) },
      };
    }

    if (stored && rule?.type === 'create-account-in-progress') {
      const res = await forwardJson(req, input);
      const status = res.body.CreateAccountStatus;
      if (
        res.status !== 200 ||
        !isRecord(status) ||
        typeof status.Id !== 'string'
      ) {
        // moto refused it: that answer is the truth, nothing to fake.
        return res;
      }
      const t: TrackedRequest = {
        requestId: status.Id,
        ruleId: stored.id,
        accountName: String(status.AccountName ?? input.AccountName ?? ''),
        accountId:
          typeof status.AccountId === 'string' ? status.AccountId : undefined,
        pollsLeft: rule.polls,
        outcome: 'SUCCEEDED',
        requestedTimestamp:
          typeof status.RequestedTimestamp === 'number'
            ? status.RequestedTimestamp
            : nowSeconds(),
      };
      tracked.set(t.requestId, t);
      injected(
        operation,
        stored.id,
        `IN_PROGRESS ${t.requestId} for ${
          rule.polls
        } poll(s) (moto created account ${
          t.accountId ?? '?'
        }, hidden until then)`,
      );
      return { status: 200, body: { CreateAccountStatus: inProgress(t) } };
    }

    switch (operation) {
      case 'DescribeCreateAccountStatus': {
        const id = input.CreateAccountRequestId;
        const t = typeof id === 'string' ? tracked.get(id) : undefined;
        if (!t) break;
        if (t.pollsLeft > 0) {
          t.pollsLeft -= 1;
          return { status: 200, body: { CreateAccountStatus: inProgress(t) } };
        }
        if (t.outcome === 'SUCCEEDED') {
          // Done faking: from now on moto's answer (SUCCEEDED) is the truth.
          tracked.delete(t.requestId);
          break;
        }
        t.completedTimestamp ??= nowSeconds();
        return { status: 200, body: { CreateAccountStatus: statusOf(t) } };
      }
      case 'ListCreateAccountStatus':
        if (tracked.size > 0) return listCreateAccountStatus(req, input);
        break;
      case 'ListAccounts':
      case 'ListAccountsForParent':
        return hideAccounts(await forwardJson(req, input), 'Accounts');
      case 'ListChildren':
        return hideAccounts(await forwardJson(req, input), 'Children');
      case 'DescribeAccount':
      case 'MoveAccount':
      case 'CloseAccount':
      case 'RemoveAccountFromOrganization': {
        const t = hiddenAccounts().get(String(input.AccountId));
        if (t) return notYetCreated(operation, t, 'AccountNotFoundException');
        break;
      }
      case 'TagResource':
      case 'UntagResource':
      case 'ListTagsForResource': {
        const t = hiddenAccounts().get(String(input.ResourceId));
        if (t) return notYetCreated(operation, t, 'TargetNotFoundException');
        break;
      }
      case 'ListParents': {
        const t = hiddenAccounts().get(String(input.ChildId));
        if (t) return notYetCreated(operation, t, 'ChildNotFoundException');
        break;
      }
      default:
        break;
    }
    return forwardJson(req, input);
  }

  function notYetCreated(
    operation: string,
    t: TrackedRequest,
    type: string,
  ): Reply {
    injected(
      operation,
      t.ruleId,
      `${type}: account ${t.accountId} is still IN_PROGRESS (${t.requestId})`,
    );
    return awsError(
      400,
      type,
      `You specified ${
        type === 'AccountNotFoundException' ? 'an account' : 'a target'
      } that doesn't exist.`,
    );
  }

  function hideAccounts(res: Reply, field: string): Reply {
    const hidden = hiddenAccounts();
    const list = res.body[field];
    if (res.status !== 200 || hidden.size === 0 || !Array.isArray(list)) {
      return res;
    }
    return {
      ...res,
      body: {
        ...res.body,
        [field]: list.filter(a => !(isRecord(a) && hidden.has(String(a.Id)))),
      },
    };
  }

  async function listCreateAccountStatus(
    req: http.IncomingMessage,
    input: Json,
  ): Promise<Reply> {
    // moto would drop requests we show as IN_PROGRESS (they are SUCCEEDED
    // there), so ask for every state and filter here.
    const { States: states, ...rest } = input;
    const res = await forwardJson(req, rest);
    const upstreamList = res.body.CreateAccountStatuses;
    if (res.status !== 200 || !Array.isArray(upstreamList)) return res;

    const merged: unknown[] = upstreamList.map(s => {
      const t =
        isRecord(s) && typeof s.Id === 'string' ? tracked.get(s.Id) : undefined;
      return t ? statusOf(t) : s;
    });
    // Requests the layer answered alone exist only here; add them once, on
    // the first page.
    if (input.NextToken === undefined || input.NextToken === null) {
      for (const t of tracked.values()) {
        if (t.outcome !== 'SUCCEEDED') merged.push(statusOf(t));
      }
    }
    const wanted = Array.isArray(states) ? states.map(String) : undefined;
    return {
      ...res,
      body: {
        ...res.body,
        CreateAccountStatuses: wanted
          ? merged.filter(s => isRecord(s) && wanted.includes(String(s.State)))
          : merged,
      },
    };
  }

  async function admin(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    pathname: string,
  ) {
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
    };
    const fail = (status: number, name: string, message: string) =>
      send(status, { error: { name, message } });

    const rest = pathname.slice(FAULTS_PATH.length);
    if (rest === '' || rest === '/') {
      if (req.method === 'GET') {
        send(200, listing());
        return;
      }
      if (req.method === 'DELETE') {
        const count = rules.length;
        clearRules();
        send(200, { cleared: count });
        return;
      }
      if (req.method === 'POST') {
        const raw = await readBody(req);
        let parsed: unknown;
        try {
          parsed = JSON.parse(raw.toString('utf8'));
        } catch {
          fail(400, 'InputError', 'the body must be one fault rule as JSON');
          return;
        }
        try {
          send(201, { id: addRule(parsed as FaultRule) });
        } catch (e) {
          if (e instanceof FaultRuleError) {
            fail(400, 'InputError', `invalid fault rule: ${e.message}`);
            return;
          }
          throw e;
        }
        return;
      }
      res.setHeader('allow', 'GET, POST, DELETE');
      fail(405, 'MethodNotAllowed', `${req.method} is not supported here`);
      return;
    }
    const id = decodeURIComponent(rest.slice(1));
    if (req.method === 'DELETE' && !id.includes('/')) {
      if (removeRule(id)) {
        send(200, { removed: id });
      } else {
        fail(
          404,
          'NotFoundError',
          `no fault rule with id ${JSON.stringify(id)}`,
        );
      }
      return;
    }
    fail(404, 'NotFoundError', `no such route: ${req.method} ${pathname}`);
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (pathname === FAULTS_PATH || pathname.startsWith(`${FAULTS_PATH}/`)) {
      await admin(req, res, pathname);
      return;
    }

    const raw = await readBody(req);
    const target = req.headers['x-amz-target'];
    const operation =
      typeof target === 'string' && target.startsWith(TARGET_PREFIX)
        ? target.slice(TARGET_PREFIX.length)
        : undefined;

    if (operation === undefined || req.method !== 'POST') {
      const upstreamRes = await forward(req, raw);
      if (pathname === '/moto-api/reset' && upstreamRes.status === 200) {
        reset();
      }
      const headers = { ...upstreamRes.headers };
      delete headers['transfer-encoding'];
      headers['content-length'] = String(upstreamRes.body.length);
      res.writeHead(upstreamRes.status, headers);
      res.end(upstreamRes.body);
      return;
    }

    const reply = await organizations(req, operation, raw);
    const text = JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      'content-type': JSON_11,
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': randomUUID(),
      ...reply.headers,
    });
    res.end(text);
  }

  return {
    addRule,
    listRules,
    removeRule,
    clearRules,
    listing,
    reset,
    listen(port = 0) {
      if (server) {
        return Promise.reject(
          new Error('the fault layer is already listening'),
        );
      }
      const s = http.createServer((req, res) => {
        handle(req, res).catch((e: unknown) => {
          const status = e instanceof RequestError ? e.status : 502;
          const message = e instanceof Error ? e.message : String(e);
          log(`fault layer: ${req.method} ${req.url} failed: ${message}`);
          if (res.headersSent) {
            res.destroy();
            return;
          }
          // An AWS-shaped error, so SDK clients surface the message.
          const text = JSON.stringify({
            __type:
              status === 502 ? 'SandboxUpstreamError' : 'SandboxRequestError',
            Message: `fault layer (upstream ${upstream.origin}): ${message}`,
          });
          res.writeHead(status, {
            'content-type': JSON_11,
            'content-length': Buffer.byteLength(text),
          });
          res.end(text);
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
    },
    close() {
      const s = server;
      server = undefined;
      agent.destroy();
      if (!s) return Promise.resolve();
      return new Promise((resolve, reject) => {
        s.close(err => (err ? reject(err) : resolve()));
        s.closeAllConnections();
      });
    },
  };
}
