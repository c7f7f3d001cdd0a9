import http from 'node:http';
import https from 'node:https';

/** A GET that resolves with the status and body; for readiness probes. */
export function request(
  url: string,
  options: { ca?: string; token?: string; timeoutMs?: number } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = (target.protocol === 'https:' ? https : http).request(
      target,
      {
        ca: options.ca,
        headers: options.token
          ? { Authorization: `Bearer ${options.token}` }
          : {},
        timeout: options.timeoutMs ?? 2000,
      },
      res => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', chunk => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Polls `probe` until it says yes; on timeout throws with `onTimeout()`
 * (the component's log tail), so a failed `up` says why.
 */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  onTimeout: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await probe()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${what} did not become ready within ${
          timeoutMs / 1000
        }s:\n${onTimeout()}`,
      );
    }
    await new Promise(resolve => setTimeout(resolve, 200));
  }
}
