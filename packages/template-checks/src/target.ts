import { JsonObject, JsonValue } from '@backstage/types';

/** One line the backend logged. */
export interface LogLine {
  level: 'error' | 'warn' | 'info' | 'debug';
  message: string;
  meta: Record<string, unknown>;
}

export interface ActionInfo {
  id: string;
  description?: string;
}

export interface DryRunRequest {
  template: JsonValue;
  values: JsonObject;
  secrets?: Record<string, string>;
  directoryContents: Array<{ path: string; base64Content: string }>;
}

export interface DryRunResponse {
  status: number;
  body: any;
}

/**
 * The scaffolder the checks ask: the test backend they start
 * (`CheckBackend`), or a running portal (`PortalTarget`).
 */
export interface CheckTarget {
  /** What it logged, when its log can be read (the test backend's); else empty. */
  readonly logs: LogLine[];
  /** The scaffolder's registered actions (`GET /api/scaffolder/v2/actions`). */
  actions(): Promise<ActionInfo[]>;
  /** `POST /api/scaffolder/v2/dry-run`: the scaffolder's own dry run. */
  dryRun(
    request: DryRunRequest,
    options?: { timeoutMs?: number },
  ): Promise<DryRunResponse>;
  stop(): Promise<void>;
}

/**
 * `POST <baseUrl>/api/scaffolder/v2/dry-run`, the answer's status and body
 * (JSON when it is JSON, else the text).
 */
export async function postDryRun(
  baseUrl: string,
  request: DryRunRequest,
  options: { timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<DryRunResponse> {
  const res = await fetch(`${baseUrl}/api/scaffolder/v2/dry-run`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...options.headers },
    body: JSON.stringify(request),
    signal: AbortSignal.timeout(options.timeoutMs ?? 120_000),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body };
}
