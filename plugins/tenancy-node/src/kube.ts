import {
  ApiException,
  KubeConfig,
  RequestContext,
} from '@kubernetes/client-node';

/**
 * A KubeConfig whose every request is bound to an AbortSignal, so that a
 * cluster that accepts connections and never answers is given up on
 * instead of holding the caller forever.
 */
class AbortableKubeConfig extends KubeConfig {
  constructor(
    private readonly signal: AbortSignal,
    private readonly onRequest?: () => void,
  ) {
    super();
  }

  override async applySecurityAuthentication(
    context: RequestContext,
  ): Promise<void> {
    await super.applySecurityAuthentication(context);
    context.setSignal(this.signal);
    // Called once for every request the client makes: the request counter.
    this.onRequest?.();
  }
}

/**
 * A copy of `kc` whose requests are aborted when `signal` fires, and counted
 * through `onRequest` when given.
 * @public
 */
export function withAbortSignal(
  kc: KubeConfig,
  signal: AbortSignal,
  onRequest?: () => void,
): KubeConfig {
  const copy = new AbortableKubeConfig(signal, onRequest);
  copy.loadFromOptions({
    clusters: kc.clusters,
    users: kc.users,
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  });
  return copy;
}

/** The HTTP status of a failed Kubernetes call, or undefined for a network failure. @public */
export function statusOf(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

/**
 * The API server's own message from a failed call (its Status object's
 * message), which names fields and objects but never credentials.
 * @public
 */
export function apiMessage(error: unknown): string {
  if (error instanceof ApiException) {
    const body = error.body as unknown;
    try {
      const parsed = typeof body === 'string' ? JSON.parse(body) : body;
      if (parsed && typeof parsed === 'object' && 'message' in parsed) {
        return String((parsed as { message: unknown }).message);
      }
    } catch {
      // not JSON
    }
    return `HTTP ${error.code}`;
  }
  if (error instanceof Error) {
    const cause = (
      error as Error & { cause?: { code?: string; message?: string } }
    ).cause;
    if (error.name === 'AbortError' || cause?.code === 'ABORT_ERR')
      return 'request aborted';
    // Network errors: say what happened without the URL.
    return cause?.code
      ? `${cause.code}`
      : error.message.replace(/https?:\/\/\S+/g, '<cluster>');
  }
  return String(error);
}
