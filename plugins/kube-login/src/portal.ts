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
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(
    parsed.hostname,
  );
  // Tokens never travel in clear text, except to this machine.
  if (
    parsed.protocol !== 'https:' &&
    !(parsed.protocol === 'http:' && loopback)
  ) {
    throw new KubeLoginError(
      `--portal must be an https URL (http only for localhost), not "${url}"`,
    );
  }
  return parsed.toString().replace(/\/+$/, '');
}

/** A JWT's claims, unverified: only to tell whose and from where it is. */
export function claimsOf(token: string): {
  iss?: string;
  sub?: string;
  iat?: unknown;
} {
  try {
    return JSON.parse(
      Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'),
    );
  } catch {
    return {};
  }
}

/**
 * The person's Backstage token for `portal`: `BACKSTAGE_TOKEN` when set
 * (automation), otherwise the Backstage CLI's own sign-in
 * (`backstage-cli auth login`, OAuth with PKCE), which it refreshes.
 */
export async function backstageToken(portal: string): Promise<string> {
  const fromEnv = process.env.BACKSTAGE_TOKEN;
  if (fromEnv) {
    // Only to the portal that issued it: a kubeconfig naming another
    // portal must not be handed the person's token.
    const { iss } = claimsOf(fromEnv);
    let issuer: string | undefined;
    try {
      issuer = iss ? new URL(iss).origin : undefined;
    } catch {
      issuer = undefined;
    }
    if (issuer !== new URL(portal).origin) {
      throw new KubeLoginError(
        `BACKSTAGE_TOKEN was not issued by ${portal} (its issuer: ${
          iss ?? 'none'
        }); it is not sent there`,
      );
    }
    return fromEnv;
  }
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
  init: { method?: string; body?: unknown; token?: string } = {},
): Promise<T> {
  const token = init.token ?? (await backstageToken(portal));
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
      // A redirect would take the token somewhere else.
      redirect: 'error',
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
