import { ApiException } from '@kubernetes/client-node';
import { listAll } from './list';

// A 410 Gone on a continue token and a 429 from API Priority and Fairness
// cannot be provoked on demand from a real API server (tokens expire after
// minutes; APF needs real overload), so these two use a scripted page source.
describe('listAll', () => {
  const gone = () => new ApiException(410, 'Gone', '{"reason":"Expired"}', {});
  const throttled = (retryAfter?: string) =>
    new ApiException(
      429,
      'Too Many Requests',
      '{}',
      retryAfter ? { 'retry-after': retryAfter } : {},
    );

  it('follows continue tokens to the end', async () => {
    const pages: Record<
      string,
      { items: number[]; metadata: { _continue?: string } }
    > = {
      start: { items: [1, 2], metadata: { _continue: 'a' } },
      a: { items: [3, 4], metadata: { _continue: 'b' } },
      b: { items: [5], metadata: {} },
    };
    expect(await listAll(async t => pages[t ?? 'start'])).toEqual([
      1, 2, 3, 4, 5,
    ]);
  });

  it('starts the list over when a continue token has expired', async () => {
    let calls = 0;
    const result = await listAll<number>(async token => {
      calls++;
      if (calls === 2) throw gone();
      return token
        ? { items: [3], metadata: {} }
        : { items: [1, 2], metadata: { _continue: 'x' } };
    });
    // Page 1, 410 on page 2, then page 1 and 2 again: no duplicates.
    expect(result).toEqual([1, 2, 3]);
    expect(calls).toBe(4);
  });

  it('waits as long as Retry-After says on 429, within a bound', async () => {
    const waits: number[] = [];
    let calls = 0;
    const result = await listAll<number>(
      async () => {
        calls++;
        if (calls === 1) throw throttled('2');
        if (calls === 2) throw throttled('600');
        return { items: [7], metadata: {} };
      },
      { sleep: async ms => void waits.push(ms), maxRetryAfterMs: 5000 },
    );
    expect(result).toEqual([7]);
    expect(waits).toEqual([2000, 5000]);
  });

  it('gives up after a bounded number of retries and restarts', async () => {
    await expect(
      listAll(async () => Promise.reject(throttled('1')), {
        sleep: async () => {},
      }),
    ).rejects.toMatchObject({
      code: 429,
    });
    await expect(
      listAll(async () => Promise.reject(gone())),
    ).rejects.toMatchObject({ code: 410 });
  });
});
