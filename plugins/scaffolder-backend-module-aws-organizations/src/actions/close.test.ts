import {
  CloseAccountCommand,
  CreateAccountCommand,
  DescribeAccountCommand,
} from '@aws-sdk/client-organizations';
import { mockServices } from '@backstage/backend-test-utils';
import {
  awsFixture,
  AwsFixture,
  capturingContext,
  CheckpointStore,
  FAST,
  memberOf,
  permissionsAllowing,
  connectToSandbox,
  seedUserInfo,
} from '@tenancy/test-utils';
import { createCloseAwsAccountAction } from './close';
import { AWS_ACCOUNT_EVENT_TOPIC } from '@tenancy/plugin-tenancy-node';

jest.setTimeout(60_000);

const sb = connectToSandbox();
afterEach(() => sb.cleanup());

const PAYMENTS = 'group:default/team-payments';
const CLOSE = ['tenancy.aws.account.close'];

function action(
  f: AwsFixture,
  allowed = CLOSE,
  opts: { closeWaitSeconds?: number } = {},
) {
  const events = mockServices.events.mock();
  return Object.assign(
    createCloseAwsAccountAction({
      auth: mockServices.auth(),
      permissions: permissionsAllowing(allowed),
      userInfo: seedUserInfo(),
      auditor: mockServices.auditor.mock(),
      clients: f.clients,
      events,
      timing: FAST,
      closeWaitSeconds: opts.closeWaitSeconds ?? 10,
    }),
    { events },
  );
}

async function accountOf(f: AwsFixture, tenant?: string): Promise<string> {
  const { email, accountName } = f.unique('close');
  const res = await f.client.send(
    new CreateAccountCommand({
      Email: email,
      AccountName: accountName,
      Tags: tenant ? [{ Key: 'tenant', Value: tenant }] : undefined,
    }),
  );
  return res.CreateAccountStatus!.AccountId!;
}

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
  const c = capturingContext(values as any, {
    user: opts.user ?? memberOf(PAYMENTS),
    isDryRun: opts.isDryRun,
    checkpoints: opts.checkpoints,
  });
  const error = await act.handler(c.ctx as any).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  const text = [...c.lines, JSON.stringify(c.outputs), error?.message].join(
    '\n',
  );
  expect(text).not.toContain(f.secretAccessKey);
  expect(text).not.toContain(f.accessKeyId);
  return { ...c, error };
}

/** Resolves once the fault layer has used up the rule (it then drops it). */
async function applied(ruleId: string) {
  for (;;) {
    const { rules } = await sb.faults().list();
    if (!rules.some(r => r.id === ruleId)) return;
    await new Promise(resolve => setTimeout(resolve, 20));
  }
}

describe('aws:organizations:account:close', () => {
  it("closes the team's account, reports SUSPENDED and tells the catalog", async () => {
    const f = awsFixture(sb);
    const accountId = await accountOf(f, PAYMENTS);
    const act = action(f);
    const { error, outputs } = await run(f, act, {
      accountId,
      tenant: PAYMENTS,
      confirm: accountId,
    });
    expect(error).toBeUndefined();
    expect(outputs.status).toBe('SUSPENDED');
    expect(outputs.accountId).toBe(accountId);
    expect(await stateOf(f, accountId)).toBe('SUSPENDED');
    expect(act.events.publish).toHaveBeenCalledWith({
      topic: AWS_ACCOUNT_EVENT_TOPIC,
      eventPayload: { accountId },
    });
  });

  it('a second run reports the closed state without calling CloseAccount again', async () => {
    const f = awsFixture(sb);
    const accountId = await accountOf(f, PAYMENTS);
    const values = { accountId, tenant: PAYMENTS, confirm: accountId };
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
    const accountId = await accountOf(f, PAYMENTS);
    const conflict = await f.fault({
      type: 'error',
      operation: 'CloseAccount',
      error: 'ConflictException',
      message: 'The request conflicts with another closure of this account',
    });
    const act = action(f, CLOSE, { closeWaitSeconds: 30 });
    const running = run(f, act, {
      accountId,
      tenant: PAYMENTS,
      confirm: accountId,
    });
    await applied(conflict);
    expect(await stateOf(f, accountId)).toBe('ACTIVE');
    await f.client.send(new CloseAccountCommand({ AccountId: accountId }));

    const { error, outputs, lines } = await running;
    expect(error).toBeUndefined();
    expect(outputs.status).toBe('SUSPENDED');
    expect(lines.join('\n')).toMatch(
      /answered CloseAccount .* with ConflictException .*reading the account until it is SUSPENDED or PENDING_CLOSURE/,
    );
    expect(act.events.publish).toHaveBeenCalledWith({
      topic: AWS_ACCOUNT_EVENT_TOPIC,
      eventPayload: { accountId },
    });
  });

  // The fault layer's ConflictException is not forwarded, so moto never
  // closes the account: it really stays ACTIVE.
  it('fails after ConflictException when the account stays ACTIVE, tells the catalog nothing, and a retry asks AWS again', async () => {
    const f = awsFixture(sb);
    const accountId = await accountOf(f, PAYMENTS);
    await f.fault({
      type: 'error',
      operation: 'CloseAccount',
      error: 'ConflictException',
      message: 'The account is being modified',
    });
    const values = { accountId, tenant: PAYMENTS, confirm: accountId };
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
    const accountId = await accountOf(f, PAYMENTS);
    const conflict = await f.fault({
      type: 'error',
      operation: 'CloseAccount',
      error: 'ConflictException',
    });
    const act = action(f, CLOSE, { closeWaitSeconds: 30 });
    const running = run(f, act, {
      accountId,
      tenant: PAYMENTS,
      confirm: accountId,
    });
    await applied(conflict);
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
    const accountId = await accountOf(f, PAYMENTS);
    const { error } = await run(f, action(f), {
      accountId,
      tenant: PAYMENTS,
      confirm: 'yes',
    });
    expect(error?.name).toBe('InputError');
    expect(f.credentials.calls).toBe(0);
    expect(await stateOf(f, accountId)).toBe('ACTIVE');
  });

  it("refuses another team's account and an untagged one", async () => {
    const f = awsFixture(sb);
    for (const owner of ['group:default/team-search', undefined]) {
      const accountId = await accountOf(f, owner);
      const { error } = await run(f, action(f), {
        accountId,
        tenant: PAYMENTS,
        confirm: accountId,
      });
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
      { accountId: id, tenant: PAYMENTS, confirm: id },
    );
    expect(error?.name).toBe('NotAllowedError');
    expect(error?.message).toMatch(/management account/);
  });

  it('answers NotFoundError for an account outside the organization', async () => {
    const f = awsFixture(sb);
    const { error } = await run(f, action(f), {
      accountId: '000000000001',
      tenant: PAYMENTS,
      confirm: '000000000001',
    });
    expect(error?.name).toBe('NotFoundError');
  });

  it('reports a closure limit and leaves the account open', async () => {
    const f = awsFixture(sb);
    const accountId = await accountOf(f, PAYMENTS);
    await f.fault({
      type: 'error',
      operation: 'CloseAccount',
      error: 'ConstraintViolationException',
      message: 'CLOSE_ACCOUNT_QUOTA_EXCEEDED',
    });
    const { error } = await run(f, action(f), {
      accountId,
      tenant: PAYMENTS,
      confirm: accountId,
    });
    expect(error?.name).toBe('ConflictError');
    expect(error?.message).toMatch(
      /because of a limit.*CLOSE_ACCOUNT_QUOTA_EXCEEDED/,
    );
    expect(await stateOf(f, accountId)).toBe('ACTIVE');
  });

  it('closes nothing in a dry run', async () => {
    const f = awsFixture(sb);
    const accountId = await accountOf(f, PAYMENTS);
    const act = action(f);
    const { error, outputs } = await run(
      f,
      act,
      { accountId, tenant: PAYMENTS, confirm: accountId },
      { isDryRun: true },
    );
    expect(error).toBeUndefined();
    expect(outputs.status).toBe('ACTIVE');
    expect(await stateOf(f, accountId)).toBe('ACTIVE');
    expect(act.events.publish).not.toHaveBeenCalled();
  });
});
