import http from 'node:http';
import { isRecord, Json, Reply } from './awsJson';

/** moto's raw answer to a forwarded request. */
export interface UpstreamResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/**
 * moto behind the fault layer: forwards requests as they came (same method,
 * path and headers; `Host` rewritten) over a keep-alive connection.
 */
export class MotoUpstream {
  private readonly url: URL;
  // Destroyed on close, so that no socket keeps jest alive.
  private readonly agent = new http.Agent({ keepAlive: true });

  constructor(url: string) {
    this.url = new URL(url);
  }

  /** e.g. `http://127.0.0.1:5000`, for error messages. */
  get origin(): string {
    return this.url.origin;
  }

  forward(req: http.IncomingMessage, body: Buffer): Promise<UpstreamResponse> {
    const headers: http.OutgoingHttpHeaders = { ...req.headers };
    headers.host = this.url.host;
    headers['content-length'] = String(body.length);
    // Rewritten answers must be plain JSON.
    delete headers['accept-encoding'];
    delete headers['transfer-encoding'];
    return new Promise((resolve, reject) => {
      const upstreamReq = http.request(
        {
          protocol: this.url.protocol,
          hostname: this.url.hostname,
          port: this.url.port,
          method: req.method,
          path: req.url,
          headers,
          agent: this.agent,
        },
        res => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 502,
              headers: res.headers,
              body: Buffer.concat(chunks),
            }),
          );
          res.on('error', reject);
        },
      );
      upstreamReq.on('error', reject);
      upstreamReq.end(body);
    });
  }

  /** Forwards an Organizations call with `input` as its body; parses moto's JSON answer. */
  async forwardJson(req: http.IncomingMessage, input: Json): Promise<Reply> {
    const res = await this.forward(req, Buffer.from(JSON.stringify(input)));
    let parsed: unknown;
    try {
      parsed = JSON.parse(res.body.toString('utf8'));
    } catch {
      // moto picks the service from the SigV4 credential scope and falls
      // back to S3 (XML) when there is none.
      const hint = req.headers.authorization
        ? ''
        : ' (the request had no SigV4 Authorization header, so moto treated it as S3)';
      throw new Error(
        `moto answered ${
          res.status
        } with a body that is not JSON${hint}: ${res.body
          .toString('utf8')
          .slice(0, 200)}`,
      );
    }
    if (!isRecord(parsed)) {
      throw new Error(`moto answered ${res.status} with non-object JSON`);
    }
    return { status: res.status, body: parsed };
  }

  /** Drops the keep-alive connections. */
  close(): void {
    this.agent.destroy();
  }
}
