import { LoggerService } from '@backstage/backend-plugin-api';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { AccountVendor, VendingHooks, VendRequest } from '../aws/AccountVendor';
import { AccountRequestStore } from '../database/AccountRequestStore';
import { awsAccountCreatePermission } from '../permissions';
import { examples } from './create.examples';
import {
  AccessDeps,
  authorizeTenantAction,
  AwsOrganizationsConfig,
  buildTags,
  Deadline,
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
import { consoleLinksOutput, tenantField, Zod } from './inputs';
import { consoleLinks, organizationsApi } from './tenantAccount';

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

/** The input schema (also the account tool's, see tools.ts). */
export const createInput = (z: Zod) =>
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
      tenant: tenantField(z),
      ou: z
        .string()
        .min(1)
        .optional()
        .describe(
          "Target OU: a path of OU names below the root (Workloads/Prod) or an OU id (ou-xxxx-yyyyyyyy). Default: the environment's OU in tenancy.aws.organizations.environmentOus. An OU that is no environment's OU there is the platform team's (tenancy.namespace.override)",
        ),
      environment: z
        .string()
        .min(1)
        .optional()
        .describe(
          "The account's environment (dev, prod, …): its OU comes from tenancy.aws.organizations.environmentOus when ou is not given, and it is the environment tag when tags names none",
        ),
      tags: z
        .object({
          'cost-centre': z.string().min(1).describe('Cost centre'),
          environment: z
            .string()
            .min(1)
            .optional()
            .describe(
              'Environment, e.g. dev, prod, sandbox (default: the environment input)',
            ),
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
    .strict();

const createOutput = {
  accountId: (z: Zod) =>
    z
      .string()
      .optional()
      .describe('The account id (in a dry run: only if it exists)'),
  arn: (z: Zod) => z.string().optional().describe('The account ARN'),
  accountName: (z: Zod) => z.string().optional().describe('The account name'),
  email: (z: Zod) => z.string().describe('The email address, lower-cased'),
  tenant: (z: Zod) => z.string().describe('The owning group'),
  ou: (z: Zod) =>
    z
      .object({ id: z.string(), path: z.string() })
      .describe('The OU the account is in'),
  outcome: (z: Zod) =>
    z
      .enum(['created', 'existing', 'dry-run'])
      .describe(
        'created by this run, an existing account of the team, or a dry run',
      ),
  links: consoleLinksOutput,
};

/**
 * Why an explicit `ou` needs the platform team: an OU decides the
 * guardrails (SCPs) an account lives under, so a team may name only an
 * environment's OU (`tenancy.aws.organizations.environmentOus`, as written
 * there); any other OU is `tenancy.namespace.override`'s. Compared as
 * strings, before any call to AWS resolves them.
 */
function ouOverrides(
  ou: string | undefined,
  environmentOus: Record<string, string>,
): string[] {
  if (ou === undefined || Object.values(environmentOus).includes(ou)) {
    return [];
  }
  return [
    `put an account in OU "${ou}", which is no environment's OU in tenancy.aws.organizations.environmentOus (name the environment instead)`,
  ];
}

/**
 * The input, checked in full before any call to AWS, so that a bad name,
 * address, tenant, OU reference, tag or role name changes nothing.
 */
function readCreateInput(
  input: {
    accountName: string;
    email: string;
    tenant: string;
    ou?: string;
    environment?: string;
    tags: Record<string, string | undefined>;
    roleName?: string;
  },
  environmentOus: Record<string, string>,
) {
  const accountName = validateAccountName(input.accountName);
  const email = validateEmail(input.email);
  const tenantRef = parseTenantRef(input.tenant);
  const tenant = stringifyEntityRef(tenantRef);
  if (
    input.ou !== undefined &&
    input.environment !== undefined &&
    Object.hasOwn(environmentOus, input.environment) &&
    environmentOus[input.environment] !== input.ou
  ) {
    throw new InputError(
      `ou "${input.ou}" is not the OU of environment "${input.environment}" (${
        environmentOus[input.environment]
      }); give one of them`,
    );
  }
  const ou = input.ou ?? ouOfEnvironment(input.environment, environmentOus);
  const ouRef = parseOuRef(ou);
  const environment = input.tags.environment ?? input.environment;
  if (
    input.tags.environment &&
    input.environment &&
    input.tags.environment !== input.environment
  ) {
    throw new InputError(
      `tags.environment "${input.tags.environment}" contradicts environment "${input.environment}"; give one of them`,
    );
  }
  if (!environment) {
    throw new InputError(
      'Name the environment: the environment input, or tags.environment',
    );
  }
  if (
    input.ou !== undefined &&
    Object.values(environmentOus).includes(input.ou) &&
    Object.hasOwn(environmentOus, environment) &&
    environmentOus[environment] !== input.ou
  ) {
    // An environment's OU tagged as another environment: the account would
    // live under one environment's guardrails and be billed as another's.
    throw new InputError(
      `ou "${input.ou}" is not the OU of environment "${environment}" (${environmentOus[environment]}); give one of them`,
    );
  }
  const tags = buildTags(tenant, {
    ...(input.tags as Record<string, string>),
    environment,
  });
  const roleName =
    input.roleName === undefined ? undefined : validateRoleName(input.roleName);
  return { accountName, email, tenantRef, tenant, ou, ouRef, tags, roleName };
}

/** The OU of an environment's accounts, or an input error saying how to get one. */
function ouOfEnvironment(
  environment: string | undefined,
  environmentOus: Record<string, string>,
): string {
  const known = Object.keys(environmentOus);
  if (environment === undefined) {
    throw new InputError(
      `Name the OU (ou) or the environment (${
        known.length ? known.join(', ') : 'none has an OU in config yet'
      })`,
    );
  }
  const ou = Object.hasOwn(environmentOus, environment)
    ? environmentOus[environment]
    : undefined;
  if (!ou) {
    throw new InputError(
      `Environment "${environment}" has no OU for accounts: set tenancy.aws.organizations.environmentOus.${environment}${
        known.length ? ` (environments with one: ${known.join(', ')})` : ''
      }`,
    );
  }
  return ou;
}

/**
 * A dry run: logs what a run would do — return the tenant's account that
 * has the address, or create one — and returns that account, if any.
 */
async function planAccount(
  vendor: AccountVendor,
  request: Omit<VendRequest, 'owner'>,
  logger: LoggerService,
): Promise<{ Id: string; Arn: string; Name?: string } | undefined> {
  const { email, accountName, tenant, ou, tags } = request;
  const { existing, inFlight } = await vendor.check(request);
  if (existing?.Id && existing.Arn) {
    logger.info(
      `Dry run: ${email} already belongs to ${tenant}'s account ${existing.Id}; it would be returned, moved into ${ou.path} if needed and tagged`,
    );
    return { Id: existing.Id, Arn: existing.Arn, Name: existing.Name };
  }
  logger.info(
    `Dry run: would create account "${accountName}" for ${email} (${tenant}) in ${
      ou.path
    } (${ou.id}) with tags ${tags.map(t => t.Key).join(', ')}${
      inFlight
        ? `, after following ${inFlight} request(s) in progress under that name`
        : ''
    }; nothing was created`,
  );
  return undefined;
}

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
    schema: { input: createInput, output: createOutput },
    async handler(ctx) {
      const { tenantRef, ouRef, ...checked } = readCreateInput(
        ctx.input,
        options.settings.environmentOus,
      );
      const { accountName, email, tenant } = checked;
      await authorizeTenantAction(options, {
        eventId: 'tenancy-aws-account-create',
        credentials: await ctx.getInitiatorCredentials(),
        permission: awsAccountCreatePermission,
        tenant: tenantRef,
        meta: { accountName, ou: checked.ou, dryRun: Boolean(ctx.isDryRun) },
        overrides: ouOverrides(ctx.input.ou, options.settings.environmentOus),
      });

      try {
        const api = await organizationsApi(options.clients, timing, ctx.logger);
        // An unknown OU is an input error, found before anything is created.
        const ou = await api.resolveOu(ouRef);
        const vendor = new AccountVendor(api, options.store, {
          maxConcurrentCreates: options.settings.maxConcurrentCreates,
          timing,
          hooks: options.hooks,
        });
        const request = { ...checked, ou };
        ctx.output('email', email);
        ctx.output('tenant', tenant);
        ctx.output('ou', ou);

        if (ctx.isDryRun) {
          const existing = await planAccount(vendor, request, ctx.logger);
          if (existing) {
            ctx.output('accountId', existing.Id);
            ctx.output('arn', existing.Arn);
            ctx.output('accountName', existing.Name ?? accountName);
          }
          ctx.output(
            'links',
            existing ? consoleLinks(existing.Arn, existing.Id) : [],
          );
          ctx.output('outcome', 'dry-run');
          return;
        }

        ctx.logger.info(
          `Requesting AWS account "${accountName}" for ${email} (${tenant}) in ${ou.path}`,
        );
        const account = await vendor.vend(
          { ...request, owner: `${ctx.task.id}/${ctx.step?.id ?? 'step'}` },
          {
            log: (level, message) => ctx.logger[level](message),
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
        ctx.output('links', consoleLinks(account.arn, account.accountId));
      } catch (error) {
        throw toActionError(error);
      }
    },
  });
}
