import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { accessKeyIdFrom, awsError, isRecord, Json, Reply } from './awsJson';
import type { FaultRules, StoredRule } from './faultRules';
import type {
  CreateAccountFailureRule,
  CreateAccountInProgressRule,
  ErrorRule,
  FakedCreateAccountRequest,
} from './faults';
import type { MotoUpstream } from './upstream';

interface TrackedRequest extends FakedCreateAccountRequest {
  requestedTimestamp: number;
  completedTimestamp?: number;
}

/** Options for {@link OrganizationsResponder}. */
export interface OrganizationsResponderOptions {
  rules: FaultRules;
  upstream: MotoUpstream;
  /** Receives one line per injected fault. */
  log: (message: string) => void;
}

function nowSeconds(): number {
  return Date.now() / 1000;
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

function createAccountStatus(t: TrackedRequest): Reply {
  return { status: 200, body: { CreateAccountStatus: inProgress(t) } };
}

/** The request body as JSON input, or the SerializationException AWS answers. */
function parseInput(raw: Buffer): { input: Json } | { error: Reply } {
  if (raw.length === 0) return { input: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    return {
      error: awsError(400, 'SerializationException', 'body is not JSON'),
    };
  }
  if (!isRecord(parsed)) {
    return {
      error: awsError(400, 'SerializationException', 'body is not an object'),
    };
  }
  return { input: parsed };
}

/**
 * Answers Organizations calls the way AWS does when things go wrong: from
 * the first matching fault rule, or from moto — adjusted so that what a
 * faked CreateAccount request implies holds everywhere. While a request is
 * shown IN_PROGRESS its account is hidden from listings and from the calls
 * that name it; a request that ends FAILED exists only here.
 */
export class OrganizationsResponder {
  private readonly tracked = new Map<string, TrackedRequest>();

  constructor(private readonly options: OrganizationsResponderOptions) {}

  /** The CreateAccount requests whose status is being faked. */
  requests(): FakedCreateAccountRequest[] {
    return [...this.tracked.values()].map(t => ({
      requestId: t.requestId,
      ruleId: t.ruleId,
      accountName: t.accountName,
      accountId: t.accountId,
      pollsLeft: t.pollsLeft,
      outcome: t.outcome,
    }));
  }

  /** Forgets every faked request (their accounts are gone after a moto reset). */
  reset(): void {
    this.tracked.clear();
  }

  /** Handles one Organizations call; answers either from a rule or moto. */
  async respond(
    req: http.IncomingMessage,
    operation: string,
    raw: Buffer,
  ): Promise<Reply> {
    const parsed = parseInput(raw);
    if ('error' in parsed) return parsed.error;
    const { input } = parsed;
    const accessKeyId = accessKeyIdFrom(req.headers.authorization);
    const stored = this.options.rules.take(operation, input, accessKeyId);
    if (stored) {
      const reply = await this.applyRule(stored, req, operation, input);
      if (reply) return reply;
    }
    const reply = await this.answerForTracked(req, operation, input);
    return reply ?? this.options.upstream.forwardJson(req, input);
  }

  private injected(operation: string, ruleId: string, what: string) {
    this.options.log(`fault layer: ${operation} ← rule ${ruleId}: ${what}`);
  }

  private async applyRule(
    stored: StoredRule,
    req: http.IncomingMessage,
    operation: string,
    input: Json,
  ): Promise<Reply | undefined> {
    const { rule } = stored;
    switch (rule.type) {
      case 'error':
        return this.injectError(stored.id, rule, operation);
      case 'create-account-failure':
        return this.failCreateAccount(stored.id, rule, operation, input);
      case 'create-account-in-progress':
        return this.delayCreateAccount(stored.id, rule, req, operation, input);
      default:
        return undefined;
    }
  }

  private injectError(ruleId: string, rule: ErrorRule, operation: string) {
    this.injected(operation, ruleId, `${rule.status ?? 400} ${rule.error}`);
    return awsError(
      rule.status ?? 400,
      rule.error,
      rule.message ??
        `${rule.error} injected by the Tenancy sandbox fault layer (rule ${ruleId})`,
    );
  }

  /** CreateAccount never reaches moto: IN_PROGRESS now, FAILED after the polls. */
  private failCreateAccount(
    ruleId: string,
    rule: CreateAccountFailureRule,
    operation: string,
    input: Json,
  ): Reply {
    const requestId = `car-${randomBytes(16).toString('hex')}`;
    const t: TrackedRequest = {
      requestId,
      ruleId,
      accountName: String(input.AccountName ?? ''),
      pollsLeft: rule.polls ?? 0,
      outcome: { failureReason: rule.reason },
      requestedTimestamp: nowSeconds(),
    };
    this.tracked.set(requestId, t);
    this.injected(
      operation,
      ruleId,
      `IN_PROGRESS ${requestId} (not sent to moto), FAILED ${rule.reason} after ${t.pollsLeft} poll(s)`,
    );
    return createAccountStatus(t);
  }

  /** moto creates the account; it is shown IN_PROGRESS (and hidden) for the polls. */
  private async delayCreateAccount(
    ruleId: string,
    rule: CreateAccountInProgressRule,
    req: http.IncomingMessage,
    operation: string,
    input: Json,
  ): Promise<Reply> {
    const res = await this.options.upstream.forwardJson(req, input);
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
      ruleId,
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
    this.tracked.set(t.requestId, t);
    this.injected(
      operation,
      ruleId,
      `IN_PROGRESS ${t.requestId} for ${
        rule.polls
      } poll(s) (moto created account ${
        t.accountId ?? '?'
      }, hidden until then)`,
    );
    return createAccountStatus(t);
  }

  /**
   * The answer when a faked request changes what AWS would say; undefined
   * when moto's own answer stands.
   */
  private async answerForTracked(
    req: http.IncomingMessage,
    operation: string,
    input: Json,
  ): Promise<Reply | undefined> {
    const { upstream } = this.options;
    switch (operation) {
      case 'DescribeCreateAccountStatus':
        return this.describeCreateAccountStatus(input);
      case 'ListCreateAccountStatus':
        return this.tracked.size > 0
          ? this.listCreateAccountStatus(req, input)
          : undefined;
      case 'ListAccounts':
      case 'ListAccountsForParent':
        return this.hideAccounts(
          await upstream.forwardJson(req, input),
          'Accounts',
        );
      case 'ListChildren':
        return this.hideAccounts(
          await upstream.forwardJson(req, input),
          'Children',
        );
      case 'DescribeAccount':
      case 'MoveAccount':
      case 'CloseAccount':
      case 'RemoveAccountFromOrganization':
        return this.notYetCreated(
          operation,
          input.AccountId,
          'AccountNotFoundException',
        );
      case 'TagResource':
      case 'UntagResource':
      case 'ListTagsForResource':
        return this.notYetCreated(
          operation,
          input.ResourceId,
          'TargetNotFoundException',
        );
      case 'ListParents':
        return this.notYetCreated(
          operation,
          input.ChildId,
          'ChildNotFoundException',
        );
      default:
        return undefined;
    }
  }

  /** Counts a poll down; the last one answers the request's final state. */
  private describeCreateAccountStatus(input: Json): Reply | undefined {
    const id = input.CreateAccountRequestId;
    const t = typeof id === 'string' ? this.tracked.get(id) : undefined;
    if (!t) return undefined;
    if (t.pollsLeft > 0) {
      t.pollsLeft -= 1;
      return createAccountStatus(t);
    }
    if (t.outcome === 'SUCCEEDED') {
      // Done faking: from now on moto's answer (SUCCEEDED) is the truth.
      this.tracked.delete(t.requestId);
      return undefined;
    }
    t.completedTimestamp ??= nowSeconds();
    return { status: 200, body: { CreateAccountStatus: statusOf(t) } };
  }

  /**
   * Accounts AWS would not show yet: created by moto but still IN_PROGRESS
   * here (a request stops being tracked once a poll saw it succeed).
   */
  private hiddenAccounts(): Map<string, TrackedRequest> {
    const hidden = new Map<string, TrackedRequest>();
    for (const t of this.tracked.values()) {
      if (t.accountId && t.outcome === 'SUCCEEDED') hidden.set(t.accountId, t);
    }
    return hidden;
  }

  /** The not-found error for a call naming a hidden account; else undefined. */
  private notYetCreated(
    operation: string,
    accountId: unknown,
    type: string,
  ): Reply | undefined {
    const t = this.hiddenAccounts().get(String(accountId));
    if (!t) return undefined;
    this.injected(
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

  private hideAccounts(res: Reply, field: string): Reply {
    const hidden = this.hiddenAccounts();
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

  private async listCreateAccountStatus(
    req: http.IncomingMessage,
    input: Json,
  ): Promise<Reply> {
    // moto would drop requests we show as IN_PROGRESS (they are SUCCEEDED
    // there), so ask for every state and filter here.
    const { States: states, ...rest } = input;
    const res = await this.options.upstream.forwardJson(req, rest);
    const upstreamList = res.body.CreateAccountStatuses;
    if (res.status !== 200 || !Array.isArray(upstreamList)) return res;

    const merged: unknown[] = upstreamList.map(s => {
      const t =
        isRecord(s) && typeof s.Id === 'string'
          ? this.tracked.get(s.Id)
          : undefined;
      return t ? statusOf(t) : s;
    });
    // Requests the layer answered alone exist only here; add them once, on
    // the first page.
    if (input.NextToken === undefined || input.NextToken === null) {
      for (const t of this.tracked.values()) {
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
}
