import { Sha256 } from '@aws-crypto/sha256-js';
import { Config } from '@backstage/config';
import { InputError, isError } from '@backstage/errors';
import {
  AwsCredentialsManager,
  DefaultAwsCredentialsManager,
} from '@backstage/integration-aws-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { ExpiringCache } from './ExpiringCache';
import {
  AwsCredentials,
  AwsRoleAssumer,
  StsRoleAssumer,
} from './StsRoleAssumer';

/**
 * What an EKS token is made for.
 * @public
 */
export interface EksTokenRequest {
  /** The EKS cluster name; signed into the token as `x-k8s-aws-id`. */
  clusterName: string;
  /** The region of the STS endpoint the token is presigned for; default us-east-1. */
  region?: string;
  /** A role to assume before signing. */
  assumeRole?: string;
  externalId?: string;
}

/**
 * Makes bearer tokens for EKS clusters (`k8s-aws-v1.…`), the same as
 * `aws eks get-token` does.
 * @public
 */
export interface EksTokenProvider {
  getToken(request: EksTokenRequest): Promise<string>;
}

/** @public */
export interface DefaultEksTokenProviderOptions {
  /** Default: `DefaultAwsCredentialsManager.fromConfig(config)`. */
  awsCredentialsManager?: AwsCredentialsManager;
  /** Default: {@link StsRoleAssumer} against the public STS endpoints. */
  roleAssumer?: AwsRoleAssumer;
  /** For tests: the time tokens are signed at. */
  clock?: () => Date;
}

const DEFAULT_REGION = 'us-east-1';
/** EKS accepts a token for 15 minutes after it was signed. */
const TOKEN_LIFETIME_MS = 15 * 60 * 1000;
/** Renew this long before a token or credential expires. */
const RENEW_BEFORE_MS = 60 * 1000;
const NO_INTEGRATION = 'There is no AWS integration that matches';
const REGION = /^[a-z]{2}(-[a-z0-9]+)+-\d+$/;

/**
 * Signs EKS tokens with the backend's AWS credentials, the way Backstage's
 * Kubernetes plugin (`AwsIamStrategy`) does: credentials from
 * `@backstage/integration-aws-node` (for a role's account when one is
 * configured, else the main account), then AssumeRole when the cluster names
 * a role, then a presigned STS GetCallerIdentity URL carrying the signed
 * `x-k8s-aws-id` header. Tokens are cached per cluster and role until a
 * minute before they expire.
 *
 * @public
 */
export class DefaultEksTokenProvider implements EksTokenProvider {
  static fromConfig(
    config: Config,
    options: DefaultEksTokenProviderOptions = {},
  ): DefaultEksTokenProvider {
    return new DefaultEksTokenProvider(
      options.awsCredentialsManager ??
        DefaultAwsCredentialsManager.fromConfig(config),
      options.roleAssumer ?? new StsRoleAssumer(),
      options.clock ?? (() => new Date()),
    );
  }

  private readonly tokens: ExpiringCache<string>;
  private readonly roleCredentials: ExpiringCache<AwsCredentials>;

  private constructor(
    private readonly credentialsManager: AwsCredentialsManager,
    private readonly roleAssumer: AwsRoleAssumer,
    private readonly clock: () => Date,
  ) {
    const now = () => this.clock().getTime();
    this.tokens = new ExpiringCache(now);
    this.roleCredentials = new ExpiringCache(now);
  }

  async getToken(request: EksTokenRequest): Promise<string> {
    const region = request.region ?? DEFAULT_REGION;
    if (!REGION.test(region)) {
      throw new InputError(
        `EKS cluster '${request.clusterName}': '${region}' is not an AWS region`,
      );
    }
    const key = JSON.stringify([
      request.clusterName,
      region,
      request.assumeRole ?? '',
      request.externalId ?? '',
    ]);
    return this.tokens.get(key, () => this.signToken(request, region));
  }

  private async signToken(
    request: EksTokenRequest,
    region: string,
  ): Promise<{ value: string; expiresAt: number }> {
    const credentials = await this.credentialsFor(request, region);
    const signingDate = this.clock();
    const host = `sts.${region}.amazonaws.com`;
    const signer = new SignatureV4({
      credentials,
      region,
      service: 'sts',
      sha256: Sha256,
    });
    const presigned = await signer.presign(
      {
        method: 'GET',
        protocol: 'https:',
        hostname: host,
        path: '/',
        headers: { host, 'x-k8s-aws-id': request.clusterName },
        query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      },
      { expiresIn: 60, signingDate },
    );
    const query = Object.entries(presigned.query ?? {})
      .flatMap(([name, value]) =>
        [value ?? ''].flat().map(v => `${encode(name)}=${encode(v)}`),
      )
      .join('&');
    const url = `https://${host}/?${query}`;
    const expiresAt = Math.min(
      signingDate.getTime() + TOKEN_LIFETIME_MS,
      credentials.expiration?.getTime() ?? Infinity,
    );
    return {
      value: `k8s-aws-v1.${Buffer.from(url).toString('base64url')}`,
      expiresAt: expiresAt - RENEW_BEFORE_MS,
    };
  }

  private async credentialsFor(
    request: EksTokenRequest,
    region: string,
  ): Promise<AwsCredentials> {
    const { assumeRole, externalId } = request;
    if (!assumeRole) {
      return this.sourceCredentials();
    }
    const key = JSON.stringify([assumeRole, externalId ?? '', region]);
    return this.roleCredentials.get(key, async () => {
      const assumed = await this.roleAssumer.assumeRole({
        roleArn: assumeRole,
        externalId,
        region,
        credentials: await this.sourceCredentials(assumeRole),
      });
      const expiresAt =
        assumed.expiration?.getTime() ??
        this.clock().getTime() + TOKEN_LIFETIME_MS;
      return { value: assumed, expiresAt: expiresAt - RENEW_BEFORE_MS };
    });
  }

  /**
   * The credentials to sign with, or to assume the role with: those of the
   * role's account when `aws.accounts` has it, else the main account's.
   */
  private async sourceCredentials(roleArn?: string): Promise<AwsCredentials> {
    if (roleArn) {
      try {
        const provider = await this.credentialsManager.getCredentialProvider({
          arn: roleArn,
        });
        return await provider.sdkCredentialProvider();
      } catch (error) {
        if (!isError(error) || !error.message.includes(NO_INTEGRATION)) {
          throw error;
        }
      }
    }
    const provider = await this.credentialsManager.getCredentialProvider();
    return provider.sdkCredentialProvider();
  }
}

/** RFC 3986 escaping, as SigV4's canonical query uses. */
function encode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    c => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
