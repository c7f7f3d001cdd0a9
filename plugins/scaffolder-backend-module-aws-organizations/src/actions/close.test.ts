import {
  CloseAccountCommand,
  DescribeAccountCommand,
} from '@aws-sdk/client-organizations';
import { mockServices } from '@backstage/backend-test-utils';
import {
  awsFixture,
  AwsFixture,
  CheckpointStore,
  FAST,
} from '@tenancy/test-utils';
import { createCloseAwsAccountAction } from './close';
import { AWS_ACCOUNT_EVENT_TOPIC } from '@tenancy/plugin-tenancy-node';
import { accessDeps, runAction } from './__testUtils__/runAction';
import { accountOf, awsSandbox, PAYMENTS } from './__testUtils__/sandbox';

jest.setTimeout(60_000);

const sb = awsSandbox();

const CLOSE = ['tenancy.aws.account.close'];

function action(
  f: AwsFixture,
  allowed = CLOSE,
  opts: { closeWaitSeconds?: number } = {},
) {
  const events = mockServices.events.mock();
  return Object.assign(
    createCloseAwsAccountAction({
      ...accessDeps(allowed),
      clients: f.clients,
      events,
      timing: FAST,
      closeWaitSeconds: opts.closeWaitSeconds ?? 10,
    }),
    { events },
  );
}

/** The input that closes `accountId` for the payments team. */
const closing = (accountId: string) => ({
  accountId,
  tenant: PAYMENTS,
  confirm: accountId,
});

async function stateOf(f: AwsFixture, accountId: string) {
  const res = await f.client.send(
    new DescribeAccountCommand({ AccountId: accountId }),
  );
  return res.Account?.State;
}

async function run(
  f: AwsFixture,
  act: ReturnType<typeof action>,
  values: Record<string, unknown>,
  opts: {
    isDryRun?: boolean;
    user?: string;
    checkpoints?: CheckpointStore;
  } = {},
) {
  const result = await runAction(act, values, opts);
  const text = [
    ...result.lines,
    JSON.stringify(result.outputs),
    result.error?.message,
  ].join('\n');
  expect(text).not.toContain(f.secretAccessKey);
  expect(text).not.toContain(f.accessKeyId);
  return result;
}

/** The action told the catalog's account provider to refresh the account. */
function expectCatalogTold(act: ReturnType<typeof action>, accountId: string) {
  expect(act.events.publish).toHaveBeenCalledWith({
    topic: AWS_ACCOUNT_EVENT_TOPIC,
    eventPayload: { accountId },
  });
}

/** Resolves once the fault layer has used up the rule (it then drops it). */
async function applied(ruleId: string) {
  for (;;) {
    const { rules } = await sb.faults().list();
    if (!rules.some(r => r.id === ruleId)) return;
    await new Promise(resolve => setTimeout(resolve, 20));
  }
}

/** The fault layer answers the next CloseAccount with ConflictException. */
function conflictOnClose(f: AwsFixture, message?: string) {
  return f.fault({
    type: 'error',
    operation: 'CloseAccount',
    error: 'ConflictException',
    ...(message === undefined ? {} : { message }),
  });
}

/**
 * Starts closing a new account of the team, CloseAccount answered with
 * ConflictException (`message`, if given); resolves once the action has
 * that answer and reads the account back, the run still `running`.
 */
async function closeAfterConflict(f: AwsFixture, message?: string) {
  const accountId = await accountOf(f, 'close', PAYMENTS);
  const conflict = await conflictOnClose(f, message);
  const act = action(f, CLOSE, { closeWaitSeconds: 30 });
  const running = run(f, act, closing(accountId));
  await applied(conflict);
  return { accountId, act, running };
}

describe('aws:organizations:account:close', () => {
  it("closes the team's account, reports SUSPENDED and tells the catalog", async () => {
    const f = awsFixture(sb);
    const accountId = await accountOf(f, 'close', PAYMENTS);
    const act = action(f);
    const { error, outputs } = await run(f, act, closing(accountId));
    expect(error).toBeUndefined();
    expect(outputs.status).toBe('SUSPENDED');
    expect(outputs.accountId).toBe(accountId);
    expect(await stateOf(f, accountId)).toBe('SUSPENDED');
    expectCatalogTold(act, accountId);
  });

  it('a second run reports the closed state without calling CloseAccount again', async () => {
    const f = awsFixture(sb);
    const accountId = await accountOf(f, 'close', PAYMENTS);
    const values = closing(accountId);
    expect((await run(f, action(f), values)).error).toBeUndefined();
    await f.fault({
      type: 'error',
      operation: 'CloseAccount',
      error: 'AccessDeniedException',
      sticky: true,
    });
    const again = await run(f, action(f), values);
    expect(again.error).toBeUndefined();
    expect(again.outputs.status).toBe('SUSPENDED');
    const [rule] = (await sb.faults().list()).rules.filter(
      r => r.rule.match?.accessKeyId === f.accessKeyId,
    );
    expect(rule.applied).toBe(0);
  });

  // ConflictException as AWS means it: another change to the account (here a
  // closure) is under way. The fault layer answers the action's CloseAccount
  // with it; the other closure is a real CloseAccount to moto, sent once the
  // action got its answer and is reading the account back.
  it('after ConflictException, reports success once AWS shows the account closed', async () => {
    const f = awsFixture(sb);
    const { accountId, act, running } = await closeAfterConflict(
      f,
      'The request conflicts with another closure of this account',
    );
    expect(await stateOf(f, accountId)).toBe('ACTIVE');
    await f.client.send(new CloseAccountCommand({ AccountId: accountId }));

    const { error, outputs, lines } = await running;
    expect(error).toBeUndefined();
    expect(outputs.status).toBe('SUSPENDED');
    expect(lines.join('\n')).toMatch(
      /answered CloseAccount .* with ConflictException .*reading the account until it is SUSPENDED or PENDING_CLOSURE/,
    );
    expectCatalogTold(act, accountId);
  });

  // The fault layer's ConflictException is not forwarded, so moto never
  // closes the account: it really stays ACTIVE.
  it('fails after ConflictException when the account stays ACTIVE, tells the catalog nothing, and a retry asks AWS again', async () => {
    const f = awsFixture(sb);
    const accountId = await accountOf(f, 'close', PAYMENTS);
    await conflictOnClose(f, 'The account is being modified');
    const values = closing(accountId);
    const checkpoints = new CheckpointStore();
    const act = action(f, CLOSE, { closeWaitSeconds: 1 });
    const { error, outputs } = await run(f, act, values, { checkpoints });

    expect(error?.name).toBe('ConflictError');
    expect(error?.message).toContain(
      `AWS refused to close account ${accountId} (ConflictException: The account is being modified) and it is still ACTIVE after 1 s; nothing was changed in the catalog.`,
    );
    expect(error?.message).toMatch(/run this task again/);
    expect(outputs.status).toBeUndefined();
    expect(await stateOf(f, accountId)).toBe('ACTIVE');
    expect(act.events.publish).not.toHaveBeenCalled();
    expect(checkpoints.values.size).toBe(0);

    // The conflict is over: the retried step sends CloseAccount again.
    const retry = await run(f, act, values, { checkpoints });
    expect(retry.error).toBeUndefined();
    expect(retry.outputs.status).toBe('SUSPENDED');
    expect(await stateOf(f, accountId)).toBe('SUSPENDED');
    expect(act.events.publish).toHaveBeenCalledTimes(1);
  });

  it('fails after ConflictException when the account cannot be read back', async () => {
    const f = awsFixture(sb);
    const { accountId, act, running } = await closeAfterConflict(f);
    await f.fault({
      type: 'error',
      operation: 'DescribeAccount',
      error: 'ServiceException',
      message: 'Organizations is unavailable',
      status: 500,
      sticky: true,
    });

    const { error } = await running;
    expect(error?.name).toBe('ConflictError');
    expect(error?.message).toMatch(
      new RegExp(
        `AWS refused to close account ${accountId} \\(ConflictException: .*\\), and reading the account back failed \\(.*ServiceException.*\\), so it is not known to be closed; nothing was changed in the catalog`,
      ),
    );
    expect(act.events.publish).not.toHaveBeenCalled();
  });

  it('requires confirm to repeat the account id, before any AWS call', async () => {
    const f = awsFixture(sb);
    const accountId = await accountOf(f, 'close', PAYMENTS);
    const { error } = await run(f, action(f), {
      ...closing(accountId),
      confirm: 'yes',
    });
    expect(error?.name).toBe('InputError');
    expect(f.credentials.calls).toBe(0);
    expect(await stateOf(f, accountId)).toBe('ACTIVE');
  });

  it("refuses another team's account and an untagged one", async () => {
    const f = awsFixture(sb);
    for (const owner of ['group:default/team-search', undefined]) {
      const accountId = await accountOf(f, 'close', owner);
      const { error } = await run(f, action(f), closing(accountId));
      expect(error?.name).toBe('NotAllowedError');
      expect(error?.message).toMatch(/only the owning team may close it/);
      expect(await stateOf(f, accountId)).toBe('ACTIVE');
    }
  });

  it('never closes the management account', async () => {
    const f = awsFixture(sb);
    const id = f.managementAccountId;
    const { error } = await run(
      f,
      action(f, [...CLOSE, 'tenancy.platform.admin']),
      closing(id),
    );
    expect(error?.name).toBe('NotAllowedError');
    expect(error?.message).toMatch(/management account/);
  });

  it('answers NotFoundError for an account outside the organization', async () => {
    const f = awsFixture(sb);
    const { error } = await run(f, action(f), closing('000000000001'));
    expect(error?.name).toBe('NotFoundError');
  });

  it('reports a closure limit and leaves the account open', async () => {
    const f = awsFixture(sb);
    const accountId = await accountOf(f, 'close', PAYMENTS);
    await f.fault({
      type: 'error',
      operation: 'CloseAccount',
      error: 'ConstraintViolationException',
      message: 'CLOSE_ACCOUNT_QUOTA_EXCEEDED',
    });
    const { error } = await run(f, action(f), closing(accountId));
    expect(error?.name).toBe('ConflictError');
    expect(error?.message).toMatch(
      /because of a limit.*CLOSE_ACCOUNT_QUOTA_EXCEEDED/,
    );
    expect(await stateOf(f, accountId)).toBe('ACTIVE');
  });

  it('closes nothing in a dry run', async () => {
    const f = awsFixture(sb);
    const accountId = await accountOf(f, 'close', PAYMENTS);
    const act = action(f);
    const { error, outputs } = await run(f, act, closing(accountId), {
      isDryRun: true,
    });
    expect(error).toBeUndefined();
    expect(outputs.status).toBe('ACTIVE');
    expect(await stateOf(f, accountId)).toBe('ACTIVE');
    expect(act.events.publish).not.toHaveBeenCalled();
  });
});
