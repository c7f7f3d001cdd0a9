import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { Config } from '@backstage/config';
import {
  AwsCredentialsManager,
  DefaultAwsCredentialsManager,
} from '@backstage/integration-aws-node';

/** `tenancy.aws.organizations`, with defaults applied. @public */
export interface AwsOrganizationsConfig {
  region: string;
  endpoint?: string;
  accountId?: string;
  maxConcurrentCreates: number;
  pollDeadlineSeconds: number;
  /** Environment name → OU path or id for its accounts (config order). */
  environmentOus: Record<string, string>;
}

/** @public */
export const CONFIG_KEY = 'tenancy.aws.organizations';

/** @public */
export function readAwsOrganizationsConfig(
  config: Config,
): AwsOrganizationsConfig {
  const c = config.getOptionalConfig(CONFIG_KEY);
  const accountId = c?.getOptionalString('accountId');
  if (accountId !== undefined && !/^\d{12}$/.test(accountId)) {
    throw new Error(
      `${CONFIG_KEY}.accountId must be a 12-digit AWS account id, got ${JSON.stringify(
        accountId,
      )}`,
    );
  }
  const positive = (key: string, fallback: number) => {
    const value = c?.getOptionalNumber(key) ?? fallback;
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(
        `${CONFIG_KEY}.${key} must be a positive integer, got ${value}`,
      );
    }
    return value;
  };
  return {
    region: c?.getOptionalString('region') ?? 'us-east-1',
    endpoint: c?.getOptionalString('endpoint'),
    accountId,
    maxConcurrentCreates: positive('maxConcurrentCreates', 5),
    pollDeadlineSeconds: positive('pollDeadlineSeconds', 900),
    environmentOus: readEnvironmentOus(c?.getOptional('environmentOus')),
  };
}

/** `environmentOus`, read whole (as one object, not key by key). */
function readEnvironmentOus(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(
      `${CONFIG_KEY}.environmentOus must map environment names to OU paths or ids`,
    );
  }
  const result: Record<string, string> = {};
  for (const [environment, ou] of Object.entries(value)) {
    if (typeof ou !== 'string' || !ou.trim()) {
      throw new Error(
        `${CONFIG_KEY}.environmentOus.${environment} must be an OU path (Workloads/Prod) or id, got ${JSON.stringify(
          ou,
        )}`,
      );
    }
    result[environment] = ou.trim();
  }
  return result;
}

/**
 * One Organizations client per backend, created on first use with
 * credentials from Backstage's AWS integration for the management account.
 * The SDK's own retries are off: throttling is retried by
 * {@link OrganizationsApi} with jittered backoff, and CreateAccount — which
 * has no idempotency token — must never be retried blindly. No SDK logger is
 * set, so requests (signed headers included) are never logged.
 * @public
 */
export class OrganizationsClientProvider {
  private client?: Promise<OrganizationsClient>;

  constructor(
    private readonly config: AwsOrganizationsConfig,
    private readonly credentialsManager: AwsCredentialsManager,
  ) {}

  static fromConfig(
    config: Config,
    options: { credentialsManager?: AwsCredentialsManager } = {},
  ): OrganizationsClientProvider {
    return new OrganizationsClientProvider(
      readAwsOrganizationsConfig(config),
      options.credentialsManager ??
        DefaultAwsCredentialsManager.fromConfig(config),
    );
  }

  getClient(): Promise<OrganizationsClient> {
    if (!this.client) {
      this.client = this.create();
      // A failure (no matching AWS integration, say) is not cached.
      this.client.catch(() => {
        this.client = undefined;
      });
    }
    return this.client;
  }

  private async create(): Promise<OrganizationsClient> {
    const { sdkCredentialProvider } =
      await this.credentialsManager.getCredentialProvider(
        this.config.accountId
          ? { accountId: this.config.accountId }
          : undefined,
      );
    return new OrganizationsClient({
      region: this.config.region,
      endpoint: this.config.endpoint,
      credentials: sdkCredentialProvider,
      maxAttempts: 1,
    });
  }
}
