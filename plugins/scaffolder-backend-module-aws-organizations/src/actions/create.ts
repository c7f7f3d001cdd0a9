import { LoggerService } from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { AccountVendor, VendingHooks } from '../aws/AccountVendor';
import { AccountRequestStore } from '../database/AccountRequestStore';
import { awsAccountCreatePermission } from '../permissions';
import {
  AccessDeps,
  authorizeTenantAction,
} from '@tenancy/plugin-tenancy-node';
import { examples } from './create.examples';
import {
  accountConsoleUrl,
  AwsOrganizationsConfig,
  buildTags,
  Deadline,
  OrganizationsApi,
  OrganizationsClientProvider,
  parseOuRef,
  parseTenantRef,
  resolveTiming,
  toActionError,
  validateAccountName,
  validateEmail,
  validateRoleName,
  VendingTimingOverrides,
} from '@tenancy/plugin-tenancy-node';

/** @public */
export interface CreateAwsAccountActionOptions extends AccessDeps {
  settings: AwsOrganizationsConfig;
  clients: OrganizationsClientProvider;
  store: AccountRequestStore;
  logger?: LoggerService;
  /** Shorter waits for tests. */
  timing?: VendingTimingOverrides;
  hooks?: VendingHooks;
}

/** @public */
export const CREATE_ACTION_ID = 'aws:organizations:account:create';

/**
 * `aws:organizations:account:create` — vends an AWS account for a tenant:
 * CreateAccount (once per address, whatever happens), MoveAccount into the
 * OU, TagResource.
 * @public
 */
export function createCreateAwsAccountAction(
  options: CreateAwsAccountActionOptions,
) {
  const timing = resolveTiming(options.timing);

  return createTemplateAction({
    id: CREATE_ACTION_ID,
    description:
      "Creates an AWS account for a team through AWS Organizations, moves it into an OU and tags it. Idempotent per email address: an existing account of the team is returned, another team's refused, and a crash or rerun never requests a second account.",
    examples,
    supportsDryRun: true,
    schema: {
      input: z =>
        z
          .object({
            accountName: z
              .string()
              .min(1)
              .max(50)
              .describe(
                'Name of the new account: 1 to 50 printable ASCII characters',
              ),
            email: z
              .string()
              .min(6)
              .max(64)
              .describe(
                "The account root user's email address; unique across all of AWS",
              ),
            tenant: z
              .string()
              .min(1)
              .describe(
                'The owning team: a Group entity ref, e.g. group:default/team-payments',
              ),
            ou: z
              .string()
              .min(1)
              .describe(
                'Target OU: a path of OU names below the root (Workloads/Prod) or an OU id (ou-xxxx-yyyyyyyy)',
              ),
            tags: z
              .object({
                'cost-centre': z.string().min(1).describe('Cost centre'),
                environment: z
                  .string()
                  .min(1)
                  .describe('Environment, e.g. dev, prod, sandbox'),
              })
              .catchall(z.string())
              .describe(
                'Tags for the account: cost-centre and environment, plus extras (AWS tag rules). The tenant tag is added from tenant.',
              ),
            roleName: z
              .string()
              .min(1)
              .max(64)
              .optional()
              .describe(
                'IAM role AWS creates in the new account for the management account (default OrganizationAccountAccessRole)',
              ),
          })
          .strict(),
      output: {
        accountId: z =>
          z
            .string()
            .optional()
            .describe('The account id (in a dry run: only if it exists)'),
        arn: z => z.string().optional().describe('The account ARN'),
        accountName: z => z.string().optional().describe('The account name'),
        email: z => z.string().describe('The email address, lower-cased'),
        tenant: z => z.string().describe('The owning group'),
        ou: z =>
          z
            .object({ id: z.string(), path: z.string() })
            .describe('The OU the account is in'),
        outcome: z =>
          z
            .enum(['created', 'existing', 'dry-run'])
            .describe(
              'created by this run, an existing account of the team, or a dry run',
            ),
        links: z =>
          z
            .array(z.object({ title: z.string(), url: z.string() }))
            .describe('The account in the AWS console'),
      },
    },
    async handler(ctx) {
      // Everything is checked before any call to AWS (S8, S19).
      const accountName = validateAccountName(ctx.input.accountName);
      const email = validateEmail(ctx.input.email);
      const tenantRef = parseTenantRef(ctx.input.tenant);
      const tenant = stringifyEntityRef(tenantRef);
      const ouRef = parseOuRef(ctx.input.ou);
      const tags = buildTags(tenant, ctx.input.tags);
      const roleName =
        ctx.input.roleName === undefined
          ? undefined
          : validateRoleName(ctx.input.roleName);

      await authorizeTenantAction(options, {
        eventId: 'tenancy-aws-account-create',
        credentials: await ctx.getInitiatorCredentials(),
        permission: awsAccountCreatePermission,
        tenant: tenantRef,
        meta: { accountName, ou: ctx.input.ou, dryRun: Boolean(ctx.isDryRun) },
      });

      try {
        const log = (level: 'info' | 'warn', message: string) =>
          ctx.logger[level](message);
        const api = new OrganizationsApi(
          await options.clients.getClient(),
          timing,
          log,
        );
        // S18: an unknown OU is an input error, before anything is created.
        const ou = await api.resolveOu(ouRef);
        const vendor = new AccountVendor(api, options.store, {
          maxConcurrentCreates: options.settings.maxConcurrentCreates,
          timing,
          hooks: options.hooks,
        });
        ctx.output('email', email);
        ctx.output('tenant', tenant);
        ctx.output('ou', ou);

        if (ctx.isDryRun) {
          const { existing, inFlight } = await vendor.check({
            email,
            accountName,
            tenant,
            ou,
            tags,
            roleName,
          });
          if (existing?.Id && existing.Arn) {
            ctx.logger.info(
              `Dry run: ${email} already belongs to ${tenant}'s account ${existing.Id}; it would be returned, moved into ${ou.path} if needed and tagged`,
            );
            ctx.output('accountId', existing.Id);
            ctx.output('arn', existing.Arn);
            ctx.output('accountName', existing.Name ?? accountName);
            ctx.output('links', [
              {
                title: 'AWS Organizations console',
                url: accountConsoleUrl(existing.Arn, existing.Id),
              },
            ]);
          } else {
            ctx.logger.info(
              `Dry run: would create account "${accountName}" for ${email} (${tenant}) in ${
                ou.path
              } (${ou.id}) with tags ${tags.map(t => t.Key).join(', ')}${
                inFlight
                  ? `, after following ${inFlight} request(s) in progress under that name`
                  : ''
              }; nothing was created`,
            );
            ctx.output('links', []);
          }
          ctx.output('outcome', 'dry-run');
          return;
        }

        ctx.logger.info(
          `Requesting AWS account "${accountName}" for ${email} (${tenant}) in ${ou.path}`,
        );
        const account = await vendor.vend(
          {
            email,
            accountName,
            tenant,
            ou,
            tags,
            roleName,
            owner: `${ctx.task.id}/${ctx.step?.id ?? 'step'}`,
          },
          {
            log,
            checkpoint: (key, fn) => ctx.checkpoint({ key, fn }),
            deadline: new Deadline(options.settings.pollDeadlineSeconds * 1000),
          },
        );
        ctx.logger.info(
          `Account ${account.accountId} ("${account.name}") is ready in ${ou.path} for ${tenant} (${account.outcome})`,
        );
        ctx.output('accountId', account.accountId);
        ctx.output('arn', account.arn);
        ctx.output('accountName', account.name);
        ctx.output('outcome', account.outcome);
        ctx.output('links', [
          {
            title: 'AWS Organizations console',
            url: accountConsoleUrl(account.arn, account.accountId),
          },
        ]);
      } catch (error) {
        throw toActionError(error);
      }
    },
  });
}
