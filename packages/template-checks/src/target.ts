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
