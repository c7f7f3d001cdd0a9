import {
  Account,
  AccountNotFoundException,
} from '@aws-sdk/client-organizations';
import {
  LoggerService,
  readSchedulerServiceTaskScheduleDefinitionFromConfig,
  SchedulerService,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { AwsCredentialsManager } from '@backstage/integration-aws-node';
import {
  DeferredEntity,
  EntityProvider,
  EntityProviderConnection,
} from '@backstage/plugin-catalog-node';
import { EventParams, EventsService } from '@backstage/plugin-events-node';
import {
  AccountFacts,
  accountToEntity,
  AWS_ACCOUNT_EVENT_TOPIC,
  AWS_ORGANIZATIONS_CONFIG_KEY as CONFIG_KEY,
  awsAccountEntityRef,
  DEFAULT_TIMING,
  OrganizationsApi,
  OrganizationsClientProvider,
} from '@tenancy/plugin-tenancy-node';

const PROVIDER_NAME = 'tenancy-aws-organizations-accounts';

const DEFAULT_SCHEDULE: SchedulerServiceTaskScheduleDefinition = {
  frequency: { minutes: 30 },
  timeout: { minutes: 10 },
  initialDelay: { seconds: 15 },
};

/**
 * Mirrors the organization's tenant accounts into the catalog: every ACTIVE
 * account with a `tenant` tag naming a group becomes a `Resource` of type
 * `cloud-account` owned by that group. AWS is the source of truth — the
 * scheduled full read also picks up accounts tagged outside the portal and
 * drops closed ones — and the scaffolder actions announce each account they
 * create or close on the events service, which this provider applies at
 * once as a delta.
 * @public
 */
export class AwsAccountEntityProvider implements EntityProvider {
  static fromConfig(
    config: Config,
    options: {
      logger: LoggerService;
      scheduler: SchedulerService;
      events?: EventsService;
      credentialsManager?: AwsCredentialsManager;
    },
  ): AwsAccountEntityProvider {
    const scheduleConfig = config.getOptionalConfig(
      `${CONFIG_KEY}.catalog.schedule`,
    );
    return new AwsAccountEntityProvider(
      OrganizationsClientProvider.fromConfig(config, {
        credentialsManager: options.credentialsManager,
      }),
      options.logger,
      options.scheduler,
      scheduleConfig
        ? readSchedulerServiceTaskScheduleDefinitionFromConfig(scheduleConfig)
        : DEFAULT_SCHEDULE,
      options.events,
    );
  }

  private connection?: EntityProviderConnection;

  private constructor(
    private readonly clients: OrganizationsClientProvider,
    private readonly logger: LoggerService,
    private readonly scheduler: SchedulerService,
    private readonly schedule: SchedulerServiceTaskScheduleDefinition,
    private readonly events?: EventsService,
  ) {}

  getProviderName(): string {
    return PROVIDER_NAME;
  }

  async connect(connection: EntityProviderConnection): Promise<void> {
    this.connection = connection;
    await this.scheduler.scheduleTask({
      id: `${PROVIDER_NAME}:refresh`,
      ...this.schedule,
      fn: () => this.refresh(),
    });
    await this.events?.subscribe({
      id: PROVIDER_NAME,
      topics: [AWS_ACCOUNT_EVENT_TOPIC],
      onEvent: params => this.onEvent(params),
    });
  }

  /** Reads every account and replaces what this provider put in the catalog. */
  async refresh(): Promise<void> {
    const connection = this.requireConnection();
    const api = await this.api();
    const accounts = await api.listAccounts();
    const entities: DeferredEntity[] = [];
    for (const account of accounts) {
      if (!account.Id || !account.Arn) continue;
      if ((account.State ?? account.Status) !== 'ACTIVE') continue;
      const facts = await this.facts(api, account.Id, account);
      const deferred = facts && this.deferred(facts);
      if (deferred) entities.push(deferred);
    }
    await connection.applyMutation({ type: 'full', entities });
    this.logger.info(
      `Read ${accounts.length} AWS accounts; ${entities.length} belong to a tenant`,
    );
  }

  /** Refreshes one account: added or updated while a tenant's and active, removed otherwise. */
  async refreshAccount(accountId: string): Promise<void> {
    const connection = this.requireConnection();
    const api = await this.api();
    let facts: AccountFacts | undefined;
    try {
      facts = await this.facts(api, accountId);
    } catch (error) {
      if (!(error instanceof AccountNotFoundException)) throw error;
    }
    const deferred = facts && this.deferred(facts);
    await connection.applyMutation(
      deferred
        ? { type: 'delta', added: [deferred], removed: [] }
        : {
            type: 'delta',
            added: [],
            removed: [
              {
                entityRef: awsAccountEntityRef(accountId),
                locationKey: this.locationKey(accountId),
              },
            ],
          },
    );
  }

  private async onEvent(params: EventParams): Promise<void> {
    const accountId = (params.eventPayload as { accountId?: unknown })
      ?.accountId;
    if (typeof accountId !== 'string' || !/^\d{12}$/.test(accountId)) {
      this.logger.warn(
        `Ignoring an event on ${AWS_ACCOUNT_EVENT_TOPIC} without a valid accountId`,
      );
      return;
    }
    try {
      await this.refreshAccount(accountId);
    } catch (error) {
      // The scheduled full read will catch up.
      this.logger.warn(
        `Could not refresh AWS account ${accountId} in the catalog: ${
          (error as Error).message
        }`,
      );
    }
  }

  private async facts(
    api: OrganizationsApi,
    accountId: string,
    known?: Account,
  ): Promise<AccountFacts | undefined> {
    const account = known ?? (await api.describeAccount(accountId));
    if (!account.Arn) return undefined;
    return {
      id: accountId,
      arn: account.Arn,
      name: account.Name ?? '',
      state: account.State ?? account.Status ?? 'UNKNOWN',
      tags: await api.tagsOf(accountId),
    };
  }

  private deferred(facts: AccountFacts): DeferredEntity | undefined {
    const locationKey = this.locationKey(facts.id);
    const entity = accountToEntity(facts, `${PROVIDER_NAME}:${facts.arn}`);
    return entity && { entity, locationKey };
  }

  private locationKey(accountId: string) {
    return `${PROVIDER_NAME}:${accountId}`;
  }

  private async api(): Promise<OrganizationsApi> {
    return new OrganizationsApi(
      await this.clients.getClient(),
      DEFAULT_TIMING,
      (level, message) => this.logger[level](message),
    );
  }

  private requireConnection(): EntityProviderConnection {
    if (!this.connection) {
      throw new Error(`${PROVIDER_NAME} is not connected to the catalog yet`);
    }
    return this.connection;
  }
}
