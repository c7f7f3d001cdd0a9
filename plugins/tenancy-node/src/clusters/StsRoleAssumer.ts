import { Sha256 } from '@aws-crypto/sha256-js';
import { AwsCredentialProvider } from '@backstage/integration-aws-node';
import { NotAllowedError } from '@backstage/errors';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * Resolved AWS credentials, as the AWS SDK's credential providers return them.
 * @public
 */
export type AwsCredentials = Awaited<
  ReturnType<AwsCredentialProvider['sdkCredentialProvider']>
>;

/**
 * Exchanges the backend's credentials for a role's temporary credentials.
 * @public
 */
export interface AwsRoleAssumer {
  assumeRole(request: {
    roleArn: string;
    externalId?: string;
    /** The region of the STS endpoint. */
    region: string;
    /** The credentials AssumeRole is signed with. */
    credentials: AwsCredentials;
  }): Promise<AwsCredentials>;
}

/** STS error codes that mean "not allowed", not "broken". */
const DENIED = new Set(['AccessDenied', 'AccessDeniedException']);
const SESSION_NAME = 'backstage-tenancy';
const MAX_MESSAGE = 500;

function xmlText(xml: string, tag: string): string | undefined {
  const match = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  return match?.[1]
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/**
 * STS AssumeRole over the Query API, signed with SigV4.
 *
 * Backstage's Kubernetes plugin uses `fromTemporaryCredentials` of
 * `@aws-sdk/credential-providers` for this; that package is not a dependency
 * of this one, and one signed POST is all AssumeRole needs.
 *
 * @public
 */
export class StsRoleAssumer implements AwsRoleAssumer {
  constructor(
    private readonly options: {
      /** The STS endpoint; default `https://sts.<region>.amazonaws.com/`. */
      endpoint?: string;
      /** Default 10 s. */
      timeoutMs?: number;
    } = {},
  ) {}

  async assumeRole(request: {
    roleArn: string;
    externalId?: string;
    region: string;
    credentials: AwsCredentials;
  }): Promise<AwsCredentials> {
    const { roleArn, externalId, region, credentials } = request;
    const url = new URL(
      this.options.endpoint ?? `https://sts.${region}.amazonaws.com/`,
    );
    const params = new URLSearchParams({
      Action: 'AssumeRole',
      Version: '2011-06-15',
      RoleArn: roleArn,
      RoleSessionName: SESSION_NAME,
    });
    if (externalId) params.set('ExternalId', externalId);
    const body = params.toString();

    const signer = new SignatureV4({
      credentials,
      region,
      service: 'sts',
      sha256: Sha256,
    });
    const signed = await signer.sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      headers: {
        host: url.host,
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      },
      body,
    });
    // fetch sets Host itself, from the same URL that was signed.
    const headers = Object.fromEntries(
      Object.entries(signed.headers).filter(([name]) => name !== 'host'),
    );

    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      // Name and code only: a network error says nothing secret, but keep
      // whatever the request carried out of the message all the same.
      const e = error as Error & { cause?: { code?: string } };
      throw new Error(
        `STS AssumeRole of ${roleArn} failed: ${e?.name ?? 'Error'}${
          e?.cause?.code ? ` ${e.cause.code}` : ''
        } calling ${url.origin}`,
      );
    }
    const text = await response.text();
    if (!response.ok) {
      const code = xmlText(text, 'Code') ?? `HTTP ${response.status}`;
      const message = this.scrub(
        xmlText(text, 'Message') ?? '',
        credentials,
      ).slice(0, MAX_MESSAGE);
      const summary = `STS AssumeRole of ${roleArn} failed: ${code}${
        message ? `: ${message}` : ''
      }`;
      throw DENIED.has(code)
        ? new NotAllowedError(summary)
        : new Error(summary);
    }

    const accessKeyId = xmlText(text, 'AccessKeyId');
    const secretAccessKey = xmlText(text, 'SecretAccessKey');
    const sessionToken = xmlText(text, 'SessionToken');
    const expiration = xmlText(text, 'Expiration');
    if (!accessKeyId || !secretAccessKey || !sessionToken) {
      throw new Error(
        `STS AssumeRole of ${roleArn} answered without credentials`,
      );
    }
    return {
      accessKeyId,
      secretAccessKey,
      sessionToken,
      expiration: expiration ? new Date(expiration) : undefined,
    };
  }

  /** STS messages do not echo keys today; this keeps it so if they start to. */
  private scrub(message: string, credentials: AwsCredentials): string {
    let out = message;
    for (const secret of [
      credentials.accessKeyId,
      credentials.secretAccessKey,
      credentials.sessionToken,
    ]) {
      if (secret) out = out.split(secret).join('***');
    }
    return out;
  }
}
