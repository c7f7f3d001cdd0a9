import { JsonObject } from '@backstage/types';
import {
  ActionInfo,
  CheckTarget,
  DryRunRequest,
  DryRunResponse,
  LogLine,
  postDryRun,
} from './target';

/** The portal could not be asked: said plainly, without a stack. */
export class PortalError extends Error {
  name = 'PortalError';
}

/** The message of a Backstage error body, else the start of the text. */
function errorMessage(text: string): string {
  try {
    const message = JSON.parse(text)?.error?.message;
    if (typeof message === 'string') return message;
  } catch {
    // not JSON
  }
  return text.slice(0, 300);
}

/** Where a running portal is, and the token the checks call it with. */
export interface PortalOptions {
  /** The portal's backend base URL, e.g. https://portal.example.com. */
  url: string;
  /**
   * A Backstage token: a static external-access token for CI
   * (`backend.auth.externalAccess`), or a person's.
   */
  token?: string;
}

/**
 * A running portal as the checks' scaffolder: its registered actions and
 * its own dry run, over HTTP with a token — for a template repository's CI,
 * which has no portal backend of its own to start. Its log is the portal's
 * and cannot be read: a failing step is still found and pointed at, with
 * the error the dry run answers.
 */
export class PortalTarget implements CheckTarget {
  readonly logs: LogLine[] = [];
  private actionList?: ActionInfo[];
  private readonly baseUrl: string;

  constructor(private readonly options: PortalOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new PortalError(
        `--portal must be the portal's URL (http:// or https://), not "${options.url}"`,
      );
    }
    if (!/^https?:$/.test(url.protocol)) {
      throw new PortalError(
        `--portal must be an http:// or https:// URL, not "${options.url}"`,
      );
    }
    this.baseUrl = url.toString().replace(/\/+$/, '');
  }

  private headers(): Record<string, string> {
    return {
      ...(this.options.token
        ? { Authorization: `Bearer ${this.options.token}` }
        : {}),
    };
  }

  private async get<T>(path: string): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        headers: this.headers(),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      throw new PortalError(
        `The portal at ${this.baseUrl} did not answer GET ${path}: ${
          (error as Error).message
        }`,
      );
    }
    if (!res.ok) {
      const hint =
        res.status === 401 ? ' (give a token: --token or BACKSTAGE_TOKEN)' : '';
      throw new PortalError(
        `The portal answered GET ${path} with ${
          res.status
        }${hint}: ${errorMessage(await res.text())}`,
      );
    }
    return (await res.json()) as T;
  }

  async actions(): Promise<ActionInfo[]> {
    this.actionList ??= await this.get<ActionInfo[]>(
      '/api/scaffolder/v2/actions',
    );
    return this.actionList;
  }

  async dryRun(
    request: DryRunRequest,
    options: { timeoutMs?: number } = {},
  ): Promise<DryRunResponse> {
    return postDryRun(this.baseUrl, request, {
      ...options,
      headers: this.headers(),
    });
  }

  /**
   * The portal's platform config as the platform-values check reads it,
   * from what its forms read: `GET /api/tenancy/environments` and
   * `/quota-presets`.
   */
  async platformConfig(): Promise<JsonObject> {
    const [{ environments }, { presets }] = await Promise.all([
      this.get<{
        environments: Array<{
          name: string;
          namespaces: boolean;
          clusters: Array<{ name: string }>;
          accountOu?: string;
        }>;
      }>('/api/tenancy/environments'),
      this.get<{
        presets: Array<{
          name: string;
          hard: Record<string, string>;
          isDefault: boolean;
        }>;
      }>('/api/tenancy/quota-presets'),
    ]);
    const defaultPreset = presets.find(p => p.isDefault)?.name;
    return {
      tenancy: {
        environments: Object.fromEntries(
          environments
            .filter(e => e.namespaces)
            .map(e => [e.name, e.clusters.map(c => c.name)]),
        ),
        baseline: {
          quotaPresets: Object.fromEntries(presets.map(p => [p.name, p.hard])),
          ...(defaultPreset ? { defaultQuotaPreset: defaultPreset } : {}),
        },
        aws: {
          organizations: {
            environmentOus: Object.fromEntries(
              environments
                .filter(e => e.accountOu)
                .map(e => [e.name, e.accountOu!]),
            ),
          },
        },
      },
    };
  }

  async stop(): Promise<void> {}
}
