import { CliAuth } from '@backstage/cli-node';

/** An error with what to do about it; the CLI prints its message alone. */
export class KubeLoginError extends Error {}

/** The portal's backend URL without a trailing slash. */
export function normalizePortal(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new KubeLoginError(`--portal must be the portal's URL, not "${url}"`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new KubeLoginError(`--portal must be an http(s) URL, not "${url}"`);
  }
  return parsed.toString().replace(/\/+$/, '');
}

/**
 * The person's Backstage token for `portal`: `BACKSTAGE_TOKEN` when set
 * (automation), otherwise the Backstage CLI's own sign-in
 * (`backstage-cli auth login`, OAuth with PKCE), which it refreshes.
 */
export async function backstageToken(portal: string): Promise<string> {
  const fromEnv = process.env.BACKSTAGE_TOKEN;
  if (fromEnv) return fromEnv;
  const signIn = `npx @backstage/cli auth login --backend-url ${portal}`;
  let auth: CliAuth;
  try {
    auth = await CliAuth.create();
  } catch {
    throw new KubeLoginError(
      `You are not signed in to ${portal}. Sign in once with:\n  ${signIn}`,
    );
  }
  if (normalizePortal(auth.getBaseUrl()) !== portal) {
    throw new KubeLoginError(
      `The Backstage CLI is signed in to ${auth.getBaseUrl()}, not ${portal}. Sign in with:\n  ${signIn}`,
    );
  }
  try {
    return await auth.getAccessToken();
  } catch (error) {
    throw new KubeLoginError(
      `Your sign-in to ${portal} has expired (${
        (error as Error).message
      }). Sign in again with:\n  ${signIn}`,
    );
  }
}

/** A call to the portal's Tenancy API as the person; its errors say what the portal said. */
export async function portalJson<T>(
  portal: string,
  path: string,
  init: { method?: string; body?: unknown } = {},
): Promise<T> {
  const token = await backstageToken(portal);
  let response: Response;
  try {
    response = await fetch(`${portal}/api/tenancy${path}`, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Bearer ${token}`,
        ...(init.body ? { 'content-type': 'application/json' } : {}),
      },
      body: init.body ? JSON.stringify(init.body) : undefined,
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new KubeLoginError(
      `Could not reach the portal at ${portal}: ${(error as Error).message}`,
    );
  }
  const text = await response.text();
  if (!response.ok) {
    let message = text.slice(0, 300);
    try {
      message = JSON.parse(text)?.error?.message ?? message;
    } catch {
      // not JSON: the text itself
    }
    const hint =
      response.status === 401
        ? `\nSign in again: npx @backstage/cli auth login --backend-url ${portal}`
        : '';
    throw new KubeLoginError(
      `The portal answered ${response.status}: ${message}${hint}`,
    );
  }
  return JSON.parse(text) as T;
}
