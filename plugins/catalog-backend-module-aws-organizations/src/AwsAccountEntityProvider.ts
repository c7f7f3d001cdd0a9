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
  accountOwnerRef,
  accountToEntity,
  AWS_ACCOUNT_EVENT_TOPIC,
  AWS_ORGANIZATIONS_CONFIG_KEY as CONFIG_KEY,
  awsAccountEntityRef,
  CATALOG_ACCOUNT_STATES,
  OrganizationsApi,
  OrganizationsClientProvider,
  resolveTiming,
  VendingTiming,
  VendingTimingOverrides,
} from '@tenancy/plugin-tenancy-node';

const PROVIDER_NAME = 'tenancy-aws-organizations-accounts';

const DEFAULT_SCHEDULE: SchedulerServiceTaskScheduleDefinition = {
  frequency: { minutes: 30 },
  timeout: { minutes: 10 },
  initialDelay: { seconds: 15 },
};

/**
 * Mirrors the organization's tenant accounts into the catalog: every account
 * with a `tenant` tag naming a group becomes a `Resource` of type
 * `cloud-account` owned by that group, with its state, organizational unit,
 * environment and cost centre — while it is ACTIVE, PENDING_CLOSURE or
 * SUSPENDED, so that a team sees its closed accounts as such. AWS is the
 * source of truth — the scheduled full read also picks up accounts tagged
 * outside the portal and drops those that are CLOSED or gone — and the
 * scaffolder actions announce each account they create or close on the
 * events service, which this provider applies at once as a delta.
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
      /** Back-off while AWS throttles; tests shorten it. */
      timing?: VendingTimingOverrides;
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
      resolveTiming(options.timing),
      options.events,
    );
  }

  private connection?: EntityProviderConnection;

  private constructor(
    private readonly clients: OrganizationsClientProvider,
    private readonly logger: LoggerService,
    private readonly scheduler: SchedulerService,
    private readonly schedule: SchedulerServiceTaskScheduleDefinition,
    private readonly timing: VendingTiming,
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
    const ouNames = new Map<string, string>();
    const entities: DeferredEntity[] = [];
    for (const account of accounts) {
      if (!account.Id || !account.Arn) continue;
      // Skips the tag lookup of accounts that cannot be listed anyway.
      if (!CATALOG_ACCOUNT_STATES.has(stateOf(account))) continue;
      const deferred = await this.deferred(api, account.Id, ouNames, account);
      if (deferred) entities.push(deferred);
    }
    await connection.applyMutation({ type: 'full', entities });
    this.logger.info(
      `Read ${accounts.length} AWS accounts; ${entities.length} belong to a tenant`,
    );
  }

  /**
   * Refreshes one account: added or updated while a tenant's and not closed
   * for good (a closed account stays, PENDING_CLOSURE or SUSPENDED, through
   * the post-closure period), removed otherwise.
   */
  async refreshAccount(accountId: string): Promise<void> {
    const connection = this.requireConnection();
    const api = await this.api();
    let deferred: DeferredEntity | undefined;
    try {
      deferred = await this.deferred(api, accountId, new Map());
    } catch (error) {
      if (!(error instanceof AccountNotFoundException)) throw error;
    }
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

  /** The account's entity, or undefined when it is not in the catalog. */
  private async deferred(
    api: OrganizationsApi,
    accountId: string,
    ouNames: Map<string, string>,
    known?: Account,
  ): Promise<DeferredEntity | undefined> {
    const account = known ?? (await api.describeAccount(accountId));
    if (!account.Arn) return undefined;
    const facts: AccountFacts = {
      id: accountId,
      arn: account.Arn,
      name: account.Name ?? '',
      state: stateOf(account),
      tags: await api.tagsOf(accountId),
    };
    if (!accountOwnerRef(facts)) return undefined;
    facts.organizationalUnit = await this.organizationalUnitOf(
      api,
      accountId,
      ouNames,
    );
    const entity = accountToEntity(facts, `${PROVIDER_NAME}:${facts.arn}`);
    return entity && { entity, locationKey: this.locationKey(accountId) };
  }

  /**
   * The name of the account's OU. It only labels the account: when AWS will
   * not say (throttled past the retries, or any other error) the account is
   * listed without it rather than dropped from the catalog.
   */
  private async organizationalUnitOf(
    api: OrganizationsApi,
    accountId: string,
    ouNames: Map<string, string>,
  ): Promise<string | undefined> {
    try {
      return await api.parentOuName(accountId, ouNames);
    } catch (error) {
      this.logger.warn(
        `Could not read the organizational unit of AWS account ${accountId}; listing it without one: ${
          (error as Error).message
        }`,
      );
      return undefined;
    }
  }

  private locationKey(accountId: string) {
    return `${PROVIDER_NAME}:${accountId}`;
  }

  private async api(): Promise<OrganizationsApi> {
    return new OrganizationsApi(
      await this.clients.getClient(),
      this.timing,
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

/** AWS's `State`, or the older `Status` where only that is reported. */
function stateOf(account: Account): string {
  return account.State ?? account.Status ?? 'UNKNOWN';
}
