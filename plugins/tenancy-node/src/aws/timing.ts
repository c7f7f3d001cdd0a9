/**
 * Every wait of the actions, in one place so that tests can shorten them.
 * @public
 */
export interface VendingTiming {
  /** TooManyRequestsException from any call — exponential backoff with full jitter. */
  throttle: { baseMs: number; maxMs: number; attempts: number };
  /** DescribeCreateAccountStatus while IN_PROGRESS — backoff from `initialMs` up to `maxMs`. */
  poll: { initialMs: number; maxMs: number };
  /**
   * MoveAccount/TagResource while the new account is not usable yet
   * (AccountNotFound, TargetNotFound, ConcurrentModification).
   */
  settle: { baseMs: number; maxMs: number; attempts: number };
  /** How often a queued request checks for a free slot, or a waiting one for the holder of its email. */
  queueIntervalMs: number;
  /**
   * How long a claim on an email (and a slot) lasts without being renewed.
   * The holder renews it at every poll; a crashed holder's claim lapses
   * after this long and its request is taken over.
   */
  leaseMs: number;
  /** How many new CreateAccount requests after INTERNAL_FAILURE. */
  internalFailureRetries: number;
}

/** @public */
export const DEFAULT_TIMING: VendingTiming = {
  throttle: { baseMs: 500, maxMs: 20_000, attempts: 8 },
  poll: { initialMs: 5_000, maxMs: 30_000 },
  settle: { baseMs: 2_000, maxMs: 30_000, attempts: 10 },
  queueIntervalMs: 5_000,
  leaseMs: 120_000,
  internalFailureRetries: 2,
};

/** Partial overrides, nested one level. @public */
export type VendingTimingOverrides = {
  [K in keyof VendingTiming]?: VendingTiming[K] extends object
    ? Partial<VendingTiming[K]>
    : VendingTiming[K];
};

/** @public */
export function resolveTiming(
  overrides: VendingTimingOverrides = {},
): VendingTiming {
  return {
    throttle: { ...DEFAULT_TIMING.throttle, ...overrides.throttle },
    poll: { ...DEFAULT_TIMING.poll, ...overrides.poll },
    settle: { ...DEFAULT_TIMING.settle, ...overrides.settle },
    queueIntervalMs:
      overrides.queueIntervalMs ?? DEFAULT_TIMING.queueIntervalMs,
    leaseMs: overrides.leaseMs ?? DEFAULT_TIMING.leaseMs,
    internalFailureRetries:
      overrides.internalFailureRetries ?? DEFAULT_TIMING.internalFailureRetries,
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

/** Full jitter: a random delay in [0, min(max, base·2^attempt)). @public */
export function jitteredDelay(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  return Math.floor(random() * Math.min(maxMs, baseMs * 2 ** attempt));
}

/** A point in time after which waiting stops. @public */
export class Deadline {
  private readonly at: number;
  constructor(readonly ms: number, private readonly now = () => Date.now()) {
    this.at = now() + ms;
  }
  remainingMs(): number {
    return Math.max(0, this.at - this.now());
  }
  passed(): boolean {
    return this.remainingMs() === 0;
  }
  /** Sleeps `ms`, or less if the deadline comes first. */
  async sleep(ms: number): Promise<void> {
    await sleep(Math.min(ms, this.remainingMs()));
  }
  describe(): string {
    return `${Math.round(this.ms / 1000)} s`;
  }
}
