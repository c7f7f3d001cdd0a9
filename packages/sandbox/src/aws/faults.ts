/**
 * Fault rules for the sandbox's AWS Organizations fault layer, and a client
 * for its admin API.
 *
 * moto answers every Organizations call with the happy path (CreateAccount is
 * synchronous and always SUCCEEDED, nothing is ever throttled), so the states
 * the account-vending code must survive (throttling, failure reasons, slow or
 * concurrent requests, limits) are injected by the fault layer in front of
 * moto, driven by these rules.
 */

/** The admin API's path on the fault layer's port. */
export const FAULTS_PATH = '/__tenancy/faults';

/** Narrows which calls a rule applies to. All given fields must match. */
export interface FaultMatch {
  /**
   * CreateAccount's `Email`: exact (case-sensitive), or a regular expression
   * written as `/pattern/flags`, e.g. `/@tenant-a\.example$/i`.
   */
  email?: string;
  /**
   * The access key id from the SigV4 `Authorization` header. Lets tests that
   * run in parallel against one sandbox (each with its own dummy key) keep
   * their faults to themselves.
   */
  accessKeyId?: string;
}

/** Fields every rule has. */
export interface FaultRuleCommon {
  /** How many matching calls the rule applies to. Default 1. */
  times?: number;
  /** Applies until removed or cleared; `times` must then be absent or 0. */
  sticky?: boolean;
  match?: FaultMatch;
}

/**
 * CreateAccount really creates the account in moto, but answers
 * IN_PROGRESS; DescribeCreateAccountStatus answers IN_PROGRESS for the next
 * `polls` polls, then moto's SUCCEEDED. Until then ListCreateAccountStatus
 * shows the request IN_PROGRESS and the account is hidden from ListAccounts,
 * DescribeAccount and the other calls that name it, as in AWS.
 */
export interface CreateAccountInProgressRule extends FaultRuleCommon {
  type: 'create-account-in-progress';
  polls: number;
}

/**
 * CreateAccount is not forwarded (no account exists); the layer answers
 * IN_PROGRESS with a request id of its own, then FAILED with `reason` after
 * `polls` polls (default 0: the first poll sees FAILED). Any reason is
 * accepted, including ones AWS does not document, which the plugin must
 * report verbatim.
 */
export interface CreateAccountFailureRule extends FaultRuleCommon {
  type: 'create-account-failure';
  /** e.g. EMAIL_ALREADY_EXISTS, ACCOUNT_LIMIT_EXCEEDED, INTERNAL_FAILURE, CONCURRENT_ACCOUNT_MODIFICATION */
  reason: string;
  polls?: number;
}

/**
 * The call is not forwarded; the layer answers the AWS JSON 1.1 error
 * `{ "__type": error, "Message": message }` with `status` (default 400).
 */
export interface ErrorRule extends FaultRuleCommon {
  type: 'error';
  /** An Organizations operation such as `CreateAccount`, or `*` for all. */
  operation: string;
  /** The exception name, e.g. TooManyRequestsException, ConcurrentModificationException. */
  error: string;
  message?: string;
  status?: number;
}

/** One fault rule, as POSTed to the admin API. */
export type FaultRule =
  | CreateAccountInProgressRule
  | CreateAccountFailureRule
  | ErrorRule;

/** A rule the layer holds, as listed by the admin API. */
export interface ActiveFaultRule {
  id: string;
  rule: FaultRule;
  /** Matching calls the rule still applies to; null: until cleared. */
  remaining: number | null;
  /** Matching calls it has applied to so far. */
  applied: number;
}

/** A CreateAccount request whose status the layer is currently faking. */
export interface FakedCreateAccountRequest {
  requestId: string;
  ruleId: string;
  accountName: string;
  /** Only for requests that moto really carried out. */
  accountId?: string;
  /** IN_PROGRESS answers left before the final state. */
  pollsLeft: number;
  /** What the request ends in: moto's own answer, or FAILED with a reason. */
  outcome: 'SUCCEEDED' | { failureReason: string };
}

/** The admin API's GET answer. */
export interface FaultListing {
  rules: ActiveFaultRule[];
  requests: FakedCreateAccountRequest[];
}

/** A rule body the admin API (or {@link parseFaultRule}) refused. */
export class FaultRuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultRuleError';
  }
}

const OPERATION = /^[A-Z][A-Za-z0-9]{1,127}$/;
const EXCEPTION = /^[A-Za-z][A-Za-z0-9_.#:]{0,127}$/;
const MAX_POLLS = 10_000;
const MAX_TIMES = 1_000_000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkKeys(
  obj: Record<string, unknown>,
  allowed: readonly string[],
  where: string,
) {
  const unknown = Object.keys(obj).filter(k => !allowed.includes(k));
  if (unknown.length > 0) {
    throw new FaultRuleError(
      `${where}: unknown field${unknown.length > 1 ? 's' : ''} ${unknown
        .map(k => JSON.stringify(k))
        .join(', ')}; allowed: ${allowed.join(', ')}`,
    );
  }
}

function integer(
  value: unknown,
  field: string,
  min: number,
  max: number,
): number {
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < min ||
    value > max
  ) {
    throw new FaultRuleError(
      `${field} must be an integer from ${min} to ${max}, got ${JSON.stringify(
        value,
      )}`,
    );
  }
  return value;
}

function text(value: unknown, field: string, pattern?: RegExp): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 1024) {
    throw new FaultRuleError(
      `${field} must be a non-empty string (at most 1024 characters), got ${JSON.stringify(
        value,
      )}`,
    );
  }
  if (pattern && !pattern.test(value)) {
    throw new FaultRuleError(
      `${field} ${JSON.stringify(value)} does not match ${pattern}`,
    );
  }
  return value;
}

/**
 * Turns a `/pattern/flags` string into a RegExp; any other string is an
 * exact match and yields undefined.
 */
export function emailPattern(email: string): RegExp | undefined {
  const m = /^\/(.+)\/([a-z]*)$/s.exec(email);
  if (!m) return undefined;
  try {
    return new RegExp(m[1], m[2]);
  } catch (e) {
    throw new FaultRuleError(
      `match.email ${JSON.stringify(
        email,
      )} is not a valid regular expression: ${(e as Error).message}`,
    );
  }
}

function parseMatch(value: unknown): FaultMatch {
  if (!isRecord(value)) {
    throw new FaultRuleError('match must be an object');
  }
  checkKeys(value, ['email', 'accessKeyId'], 'match');
  const match: FaultMatch = {};
  if (value.email !== undefined) {
    match.email = text(value.email, 'match.email');
    emailPattern(match.email);
  }
  if (value.accessKeyId !== undefined) {
    match.accessKeyId = text(
      value.accessKeyId,
      'match.accessKeyId',
      /^[A-Za-z0-9_-]{1,128}$/,
    );
  }
  return match;
}

/**
 * Validates an untrusted rule (an admin API body, CLI input) and returns it
 * with only the known fields. Throws {@link FaultRuleError} naming the first
 * problem.
 */
export function parseFaultRule(input: unknown): FaultRule {
  if (!isRecord(input)) {
    throw new FaultRuleError('a fault rule must be a JSON object');
  }
  const common = ['type', 'times', 'sticky', 'match'];
  const base: FaultRuleCommon = {};
  if (input.sticky !== undefined) {
    if (typeof input.sticky !== 'boolean') {
      throw new FaultRuleError('sticky must be true or false');
    }
    base.sticky = input.sticky;
  }
  if (input.times !== undefined) {
    base.times = integer(input.times, 'times', base.sticky ? 0 : 1, MAX_TIMES);
    if (base.sticky && base.times > 0) {
      throw new FaultRuleError(
        'a sticky rule applies until cleared: give either sticky or times, not both',
      );
    }
  }
  if (input.match !== undefined) {
    base.match = parseMatch(input.match);
  }

  switch (input.type) {
    case 'create-account-in-progress':
      checkKeys(input, [...common, 'polls'], input.type);
      return {
        ...base,
        type: input.type,
        polls: integer(input.polls, 'polls', 0, MAX_POLLS),
      };
    case 'create-account-failure': {
      checkKeys(input, [...common, 'reason', 'polls'], input.type);
      const rule: CreateAccountFailureRule = {
        ...base,
        type: input.type,
        reason: text(input.reason, 'reason', /^[\x21-\x7e]+$/),
      };
      if (input.polls !== undefined) {
        rule.polls = integer(input.polls, 'polls', 0, MAX_POLLS);
      }
      return rule;
    }
    case 'error': {
      checkKeys(
        input,
        [...common, 'operation', 'error', 'message', 'status'],
        input.type,
      );
      const operation =
        input.operation === '*'
          ? '*'
          : text(input.operation, 'operation', OPERATION);
      if (base.match?.email !== undefined && operation !== 'CreateAccount') {
        throw new FaultRuleError(
          'match.email only applies to CreateAccount (no other call carries an Email)',
        );
      }
      const rule: ErrorRule = {
        ...base,
        type: input.type,
        operation,
        error: text(input.error, 'error', EXCEPTION),
      };
      if (input.message !== undefined) {
        rule.message = text(input.message, 'message');
      }
      if (input.status !== undefined) {
        rule.status = integer(input.status, 'status', 400, 599);
      }
      return rule;
    }
    default:
      throw new FaultRuleError(
        `type must be one of create-account-in-progress, create-account-failure, error; got ${JSON.stringify(
          input.type,
        )}`,
      );
  }
}

/** One line describing what a rule injects, for logs and the CLI. */
export function describeFaultRule(rule: FaultRule): string {
  const scope = [
    rule.match?.email !== undefined ? `email ${rule.match.email}` : undefined,
    rule.match?.accessKeyId !== undefined
      ? `access key ${rule.match.accessKeyId}`
      : undefined,
  ].filter(Boolean);
  const where = scope.length ? ` (only ${scope.join(', ')})` : '';
  switch (rule.type) {
    case 'create-account-in-progress':
      return `CreateAccount → IN_PROGRESS for ${rule.polls} poll(s), then SUCCEEDED${where}`;
    case 'create-account-failure':
      return `CreateAccount → ${
        rule.polls ? `IN_PROGRESS for ${rule.polls} poll(s), then ` : ''
      }FAILED ${rule.reason}${where}`;
    case 'error':
      return `${rule.operation === '*' ? 'every call' : rule.operation} → ${
        rule.status ?? 400
      } ${rule.error}${where}`;
    default:
      return JSON.stringify(rule);
  }
}

/** Raised by {@link FaultClient} when the admin API answers an error. */
export class FaultClientError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
    this.name = 'FaultClientError';
  }
}

/** A typed client for the fault layer's admin API (`/__tenancy/faults`). */
export class FaultClient {
  private readonly base: string;

  /** @param url - the fault layer's URL, e.g. `http://127.0.0.1:4566`. */
  constructor(url: string) {
    this.base = `${url.replace(/\/+$/, '')}${FAULTS_PATH}`;
  }

  /** Adds a rule after the existing ones and returns its id. */
  async add(rule: FaultRule): Promise<string> {
    const body = await this.request<{ id: string }>('POST', '', rule);
    return body.id;
  }

  async list(): Promise<FaultListing> {
    return this.request<FaultListing>('GET', '');
  }

  /** Removes every rule. Requests already being faked keep their course. */
  async clear(): Promise<void> {
    await this.request('DELETE', '');
  }

  /** Removes one rule; rejects with status 404 if there is none by that id. */
  async remove(id: string): Promise<void> {
    await this.request('DELETE', `/${encodeURIComponent(id)}`);
  }

  private async request<T>(
    method: string,
    suffix: string,
    body?: unknown,
  ): Promise<T> {
    const res = await fetch(`${this.base}${suffix}`, {
      method,
      headers:
        body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const raw = await res.text();
    let parsed: unknown;
    try {
      parsed = raw ? JSON.parse(raw) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!res.ok) {
      const message =
        isRecord(parsed) &&
        isRecord(parsed.error) &&
        typeof parsed.error.message === 'string'
          ? parsed.error.message
          : raw.slice(0, 500);
      throw new FaultClientError(
        `fault layer ${method} ${FAULTS_PATH}${suffix} → ${res.status}: ${message}`,
        res.status,
      );
    }
    return parsed as T;
  }
}
