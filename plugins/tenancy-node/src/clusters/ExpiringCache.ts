/**
 * Values that are costly to make (signed tokens, assumed-role credentials,
 * the catalog's cluster list), kept until their own expiry. Concurrent callers
 * for a missing or expired key share one load; a failed load is not kept.
 */
export class ExpiringCache<T> {
  private readonly entries = new Map<
    string,
    { promise: Promise<T>; expiresAt?: number }
  >();

  constructor(private readonly now: () => number) {}

  get(
    key: string,
    load: () => Promise<{ value: T; expiresAt: number }>,
  ): Promise<T> {
    const entry = this.entries.get(key);
    if (
      entry &&
      (entry.expiresAt === undefined || entry.expiresAt > this.now())
    ) {
      return entry.promise;
    }
    const loading = load();
    const fresh: { promise: Promise<T>; expiresAt?: number } = {
      promise: loading.then(({ value }) => value),
    };
    this.entries.set(key, fresh);
    loading.then(
      ({ expiresAt }) => {
        fresh.expiresAt = expiresAt;
      },
      () => {
        if (this.entries.get(key) === fresh) this.entries.delete(key);
      },
    );
    return fresh.promise;
  }
}
