import { ApiException, V1ListMeta } from '@kubernetes/client-node';
import { statusOf } from './kube';

const defaultSleep = (ms: number) =>
  new Promise<void>(resolve => setTimeout(resolve, ms));

function retryAfterMs(error: unknown): number | undefined {
  if (!(error instanceof ApiException)) return undefined;
  const headers = error.headers as Record<string, string> | undefined;
  const value = headers?.['retry-after'] ?? headers?.['Retry-After'];
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

/**
 * Every item of a list, page by page (`limit`/`continue`). A 410 Gone means
 * the continue token expired: the list starts over. A 429 from API
 * Priority and Fairness waits as long as Retry-After says, within bounds,
 * then tries again.
 * @public
 */
export async function listAll<T>(
  page: (
    continueToken: string | undefined,
  ) => Promise<{ items: T[]; metadata?: V1ListMeta }>,
  options: {
    sleep?: (ms: number) => Promise<void>;
    maxRetryAfterMs?: number;
    maxRestarts?: number;
    maxRetries?: number;
  } = {},
): Promise<T[]> {
  const sleep = options.sleep ?? defaultSleep;
  let items: T[] = [];
  let token: string | undefined;
  let restarts = 0;
  let retries = 0;
  for (;;) {
    try {
      const result = await page(token);
      items.push(...result.items);
      token = result.metadata?._continue || undefined;
      if (!token) return items;
    } catch (error) {
      const status = statusOf(error);
      if (status === 410 && restarts < (options.maxRestarts ?? 3)) {
        restarts++;
        items = [];
        token = undefined;
        continue;
      }
      if (status === 429 && retries < (options.maxRetries ?? 3)) {
        retries++;
        const wait = retryAfterMs(error) ?? 250 * 2 ** retries;
        await sleep(Math.min(wait, options.maxRetryAfterMs ?? 5000));
        continue;
      }
      throw error;
    }
  }
}
