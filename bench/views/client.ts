/**
 * The bench's HTTP client of the portal backend: both sides as pat, the
 * sandbox's platform team (the shipped policy keeps the Kubernetes plugin's
 * resources routes, the peer, to the platform team).
 */
import { performance } from 'node:perf_hooks';
import type { Backend } from '../lib/backend';
import { sleep, until } from '../lib/process';
import { ENTITY, ROUTES } from './settings';

/** Who the bench signs in as: the platform team's persona. */
export const PERSONA = 'pat';

export interface Answer {
  ms: number;
  /** Wall-clock start, for comparing with the snapshot's generatedAt. */
  startedAt: number;
  status?: number;
  bytes?: number;
  body?: any;
  /** No answer within the cap. */
  unanswered: boolean;
}

export class Client {
  private token = '';
  private entity: unknown;

  constructor(private readonly backend: Backend) {}

  /**
   * pat's token (user:default/pat, platform-team) from the sandbox-only
   * personas sign-in (NODE_ENV=development, the sandbox's overlay). That
   * sign-in finds pat in the catalog, which a fresh backend has not read
   * yet: it is tried again, every second, for up to `timeoutMs`.
   */
  async signIn(timeoutMs = 600_000): Promise<void> {
    this.token = await until(`sign-in as ${PERSONA}`, timeoutMs, async () => {
      const res = await fetch(
        `${this.backend.baseUrl}/api/auth/personas/refresh`,
        {
          headers: {
            'x-requested-with': 'XMLHttpRequest',
            'x-tenancy-persona': PERSONA,
          },
          signal: AbortSignal.timeout(30_000),
        },
      );
      if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
      const body = (await res.json()) as {
        backstageIdentity: { token: string };
      };
      return body.backstageIdentity.token;
    });
  }

  private headers(json = false): Record<string, string> {
    return {
      Authorization: `Bearer ${this.token}`,
      ...(json ? { 'Content-Type': 'application/json' } : {}),
    };
  }

  /** Until the catalog has ingested the seed's entity; keeps it for the peer's body. */
  async waitForEntity(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const url = `${this.backend.baseUrl}${ROUTES.catalog}`;
    for (;;) {
      const res = await fetch(url, {
        headers: this.headers(),
        signal: AbortSignal.timeout(10_000),
      });
      if (res.ok) {
        this.entity = await res.json();
        return;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `the catalog has no ${ENTITY.kind}:${ENTITY.namespace}/${
            ENTITY.name
          } after ${timeoutMs / 1000} s (${res.status})`,
        );
      }
      await sleep(1000);
    }
  }

  private async timed(
    url: string,
    init: RequestInit,
    capMs: number,
  ): Promise<Answer> {
    const startedAt = Date.now();
    const start = performance.now();
    try {
      const res = await fetch(url, {
        ...init,
        signal: AbortSignal.timeout(capMs),
      });
      const text = await res.text();
      const elapsed = performance.now() - start;
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON
      }
      return {
        ms: elapsed,
        startedAt,
        status: res.status,
        bytes: Buffer.byteLength(text),
        body,
        unanswered: false,
      };
    } catch (error) {
      if ((error as Error).name === 'TimeoutError') {
        return { ms: performance.now() - start, startedAt, unanswered: true };
      }
      await sleep(500); // let backstage-cli's message land in the log
      this.backend.assertSteady(`${init.method ?? 'GET'} ${url}`);
      throw error;
    }
  }

  /**
   * Reference, not a side: the catalog lookup of the entity alone, which
   * both sides make before their own work.
   */
  catalog(capMs: number): Promise<Answer> {
    return this.timed(
      `${this.backend.baseUrl}${ROUTES.catalog}`,
      { headers: this.headers() },
      capMs,
    );
  }

  /** Ours: the entity's health from the fleet snapshot. */
  ours(capMs: number): Promise<Answer> {
    return this.timed(
      `${this.backend.baseUrl}${ROUTES.ours}`,
      { headers: this.headers() },
      capMs,
    );
  }

  /** The peer: what the Kubernetes tab sends (KubernetesBackendClient.getObjectsByEntity). */
  peer(capMs: number): Promise<Answer> {
    if (!this.entity) throw new Error('waitForEntity() first');
    return this.timed(
      `${this.backend.baseUrl}${ROUTES.peer}`,
      {
        method: 'POST',
        headers: this.headers(true),
        body: JSON.stringify({ entity: this.entity, auth: {} }),
      },
      capMs,
    );
  }
}
