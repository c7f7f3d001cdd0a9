import { Command, InvalidArgumentError } from 'commander';
import {
  FaultClient,
  FaultListing,
  FaultMatch,
  FaultRule,
  FaultRuleCommon,
  FaultRuleError,
  describeFaultRule,
  parseFaultRule,
} from './faults';

/** Where the CLI prints; tests pass their own. */
export interface AwsCliOutput {
  write(text: string): void;
}

interface CommonOptions {
  times?: number;
  sticky?: boolean;
  email?: string;
  accessKey?: string;
}

function nonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value)) {
    throw new InvalidArgumentError('expected a whole number ≥ 0');
  }
  return Number(value);
}

function withCommonOptions(cmd: Command, email: boolean): Command {
  cmd
    .option(
      '--times <n>',
      'how many matching calls the fault applies to (default 1)',
      nonNegativeInt,
    )
    .option('--sticky', 'apply until `fault aws clear` (instead of --times)')
    .option(
      '--access-key <id>',
      'only calls signed with this access key id (isolates parallel tests)',
    );
  if (email) {
    cmd.option(
      '--email <address>',
      'only CreateAccount calls for this email, exact or /regex/',
    );
  }
  return cmd;
}

function common(options: CommonOptions): FaultRuleCommon {
  const match: FaultMatch = {};
  if (options.email !== undefined) match.email = options.email;
  if (options.accessKey !== undefined) match.accessKeyId = options.accessKey;
  const base: FaultRuleCommon = {};
  if (options.times !== undefined) base.times = options.times;
  if (options.sticky) base.sticky = true;
  if (Object.keys(match).length > 0) base.match = match;
  return base;
}

function formatListing(listing: FaultListing): string {
  const lines: string[] = [];
  if (listing.rules.length === 0) {
    lines.push('No AWS fault rules.');
  } else {
    lines.push('AWS fault rules (first match applies):');
    for (const r of listing.rules) {
      const left =
        r.remaining === null ? 'until cleared' : `${r.remaining} left`;
      lines.push(
        `  ${r.id.padEnd(5)} ${describeFaultRule(r.rule)}  [${left}, applied ${
          r.applied
        }]`,
      );
    }
  }
  if (listing.requests.length > 0) {
    lines.push('CreateAccount requests being faked:');
    for (const q of listing.requests) {
      const end =
        q.outcome === 'SUCCEEDED'
          ? `SUCCEEDED (account ${q.accountId ?? '?'})`
          : `FAILED ${q.outcome.failureReason}`;
      lines.push(
        `  ${q.requestId} ${q.accountName}: IN_PROGRESS for ${q.pollsLeft} more poll(s), then ${end}  [rule ${q.ruleId}]`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Sends a rule (as the CLI built it) to the fault layer and says what it does. */
type AddRule = (input: unknown) => Promise<void>;

/** What every `fault aws …` command needs: the layer's client and where to print. */
interface AwsCommandContext {
  client: () => Promise<FaultClient>;
  add: AddRule;
  output: AwsCliOutput;
}

function addRuleWith(
  client: () => Promise<FaultClient>,
  output: AwsCliOutput,
): AddRule {
  return async input => {
    let rule: FaultRule;
    try {
      rule = parseFaultRule(input);
    } catch (e) {
      if (e instanceof FaultRuleError) {
        throw new InvalidArgumentError(`invalid fault rule: ${e.message}`);
      }
      throw e;
    }
    const id = await (await client()).add(rule);
    const times = rule.sticky ? 'until cleared' : `${rule.times ?? 1}×`;
    output.write(`Added ${id}: ${describeFaultRule(rule)} [${times}]\n`);
  };
}

/** `fault aws list`, `clear` and `remove <id>`: the rules already there. */
function registerRuleListCommands(
  aws: Command,
  { client, output }: AwsCommandContext,
) {
  aws
    .command('list')
    .description(
      'show the fault rules and the CreateAccount requests being faked',
    )
    .option('--json', 'print the raw JSON')
    .action(async (options: { json?: boolean }) => {
      const listing = await (await client()).list();
      output.write(
        options.json
          ? `${JSON.stringify(listing, null, 2)}\n`
          : formatListing(listing),
      );
    });

  aws
    .command('clear')
    .description('remove every fault rule')
    .action(async () => {
      await (await client()).clear();
      output.write('Cleared all AWS fault rules.\n');
    });

  aws
    .command('remove <id>')
    .description('remove one fault rule by id (see `fault aws list`)')
    .action(async (id: string) => {
      await (await client()).remove(id);
      output.write(`Removed ${id}.\n`);
    });
}

/** `fault aws add <json>`: any rule, as the admin API takes it. */
function registerAddCommand(aws: Command, { add }: AwsCommandContext) {
  aws
    .command('add <json>')
    .description(
      'add a rule given as JSON, e.g. \'{"type":"error","operation":"MoveAccount","error":"DuplicateAccountException"}\'',
    )
    .action(async (json: string) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(json);
      } catch (e) {
        throw new InvalidArgumentError(`not JSON: ${(e as Error).message}`);
      }
      await add(parsed);
    });
}

/** `fault aws in-progress`: CreateAccount stays IN_PROGRESS for some polls. */
function registerInProgressCommand(aws: Command, { add }: AwsCommandContext) {
  withCommonOptions(
    aws
      .command('in-progress')
      .description(
        'CreateAccount creates the account but answers IN_PROGRESS for --polls DescribeCreateAccountStatus polls; the account stays hidden until then',
      )
      .option(
        '--polls <n>',
        'IN_PROGRESS polls before SUCCEEDED',
        nonNegativeInt,
        3,
      ),
    true,
  ).action(async (options: CommonOptions & { polls: number }) => {
    await add({
      ...common(options),
      type: 'create-account-in-progress',
      polls: options.polls,
    });
  });
}

/** `fault aws fail <reason>`: CreateAccount ends FAILED. */
function registerFailCommand(aws: Command, { add }: AwsCommandContext) {
  withCommonOptions(
    aws
      .command('fail <reason>')
      .description(
        'CreateAccount (not sent to moto) ends FAILED with <reason>, e.g. EMAIL_ALREADY_EXISTS, ACCOUNT_LIMIT_EXCEEDED, INTERNAL_FAILURE, CONCURRENT_ACCOUNT_MODIFICATION',
      )
      .option(
        '--polls <n>',
        'IN_PROGRESS polls before FAILED',
        nonNegativeInt,
        0,
      ),
    true,
  ).action(
    async (reason: string, options: CommonOptions & { polls: number }) => {
      await add({
        ...common(options),
        type: 'create-account-failure',
        reason,
        polls: options.polls,
      });
    },
  );
}

/** `fault aws throttle`: TooManyRequestsException, which the SDK retries. */
function registerThrottleCommand(aws: Command, { add }: AwsCommandContext) {
  withCommonOptions(
    aws
      .command('throttle')
      .description('answer TooManyRequestsException (the SDK retries it)')
      .option(
        '--operation <name>',
        'e.g. CreateAccount; default every call',
        '*',
      ),
    true,
  ).action(async (options: CommonOptions & { operation: string }) => {
    await add({
      ...common(options),
      type: 'error',
      operation: options.operation,
      error: 'TooManyRequestsException',
      message: 'Rate exceeded',
    });
  });
}

/** `fault aws error <exception>`: any AWS error on any operation. */
function registerErrorCommand(aws: Command, { add }: AwsCommandContext) {
  withCommonOptions(
    aws
      .command('error <exception>')
      .description(
        'answer an AWS error, e.g. ConcurrentModificationException, DuplicateAccountException, AWSOrganizationsNotInUseException',
      )
      .requiredOption(
        '--operation <name>',
        'e.g. MoveAccount, or * for every call',
      )
      .option('--message <text>', 'the error message')
      .option('--status <code>', 'HTTP status (default 400)', nonNegativeInt),
    true,
  ).action(
    async (
      exception: string,
      options: CommonOptions & {
        operation: string;
        message?: string;
        status?: number;
      },
    ) => {
      const rule: Record<string, unknown> = {
        ...common(options),
        type: 'error',
        operation: options.operation,
        error: exception,
      };
      if (options.message !== undefined) rule.message = options.message;
      if (options.status !== undefined) rule.status = options.status;
      await add(rule);
    },
  );
}

/**
 * Adds `fault aws …` to the sandbox CLI: commands that drive the AWS
 * Organizations fault layer through its admin API. Reuses an existing
 * `fault` command so other fault families can sit beside it.
 *
 * @param resolveFaultUrl - finds the running fault layer's URL (from the
 *   sandbox state); called only when a command runs.
 */
export function registerAwsCommands(
  program: Command,
  resolveFaultUrl: () => Promise<string>,
  output: AwsCliOutput = process.stdout,
): Command {
  const fault =
    program.commands.find(c => c.name() === 'fault') ??
    program
      .command('fault')
      .description('inject faults into the running sandbox');
  const aws = fault
    .command('aws')
    .description(
      'AWS Organizations faults: the layer in front of moto answers as AWS does when things go wrong',
    );

  const client = async () => new FaultClient(await resolveFaultUrl());
  const context: AwsCommandContext = {
    client,
    add: addRuleWith(client, output),
    output,
  };
  registerRuleListCommands(aws, context);
  registerAddCommand(aws, context);
  registerInProgressCommand(aws, context);
  registerFailCommand(aws, context);
  registerThrottleCommand(aws, context);
  registerErrorCommand(aws, context);
  return aws;
}
