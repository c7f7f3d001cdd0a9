import {
  AccountNotFoundException,
  AWSOrganizationsNotInUseException,
  ConcurrentModificationException,
  CreateAccountCommand,
  CreateAccountStatus,
  DescribeAccountCommand,
  DescribeCreateAccountStatusCommand,
  DuplicateAccountException,
  ListAccountsForParentCommand,
  ListCreateAccountStatusCommand,
  ListRootsCommand,
  MoveAccountCommand,
  OrganizationsClient,
  OrganizationsServiceException,
  TooManyRequestsException,
  paginateListAccounts,
} from '@aws-sdk/client-organizations';
import { FaultClient, FaultClientError } from './faults';
import { seedOrganization, OrganizationSeed } from './organization';
import { AwsTestSandbox, startAwsTestSandbox } from './testUtils';

// The first run installs moto into the cache (about half a minute).
jest.setTimeout(300_000);

let sandbox: AwsTestSandbox;
let faults: FaultClient;
let seed: OrganizationSeed;

beforeAll(async () => {
  sandbox = await startAwsTestSandbox();
  faults = new FaultClient(sandbox.url);
});

afterAll(async () => {
  await sandbox?.stop();
});

beforeEach(async () => {
  await sandbox.reset();
  seed = await seedOrganization({ endpoint: sandbox.url });
});

/** A client straight to moto, bypassing every fault. */
function motoClient(): OrganizationsClient {
  return new OrganizationsClient({
    endpoint: sandbox.motoUrl,
    region: 'us-east-1',
    credentials: { accessKeyId: 'direct', secretAccessKey: 'x' },
    maxAttempts: 1,
  });
}

async function accountEmails(client: OrganizationsClient): Promise<string[]> {
  const emails: string[] = [];
  for await (const page of paginateListAccounts({ client }, {})) {
    for (const a of page.Accounts ?? []) emails.push(a.Email ?? '');
  }
  return emails;
}

async function createAccount(
  client: OrganizationsClient,
  email: string,
): Promise<CreateAccountStatus> {
  const res = await client.send(
    new CreateAccountCommand({
      Email: email,
      AccountName: email.split('@')[0],
    }),
  );
  if (!res.CreateAccountStatus) throw new Error('no CreateAccountStatus');
  return res.CreateAccountStatus;
}

async function poll(
  client: OrganizationsClient,
  id: string,
): Promise<CreateAccountStatus> {
  const res = await client.send(
    new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: id }),
  );
  if (!res.CreateAccountStatus) throw new Error('no CreateAccountStatus');
  return res.CreateAccountStatus;
}

async function statuses(
  client: OrganizationsClient,
  states?: ('IN_PROGRESS' | 'SUCCEEDED' | 'FAILED')[],
): Promise<CreateAccountStatus[]> {
  const res = await client.send(
    new ListCreateAccountStatusCommand({ States: states }),
  );
  return res.CreateAccountStatuses ?? [];
}

describe('without rules', () => {
  it('passes calls through to moto unchanged', async () => {
    const client = sandbox.client();
    const status = await createAccount(client, 'plain@example.com');
    expect(status.State).toBe('SUCCEEDED');
    expect(status.AccountId).toMatch(/^\d{12}$/);
    expect(await accountEmails(client)).toContain('plain@example.com');
    expect(await faults.list()).toEqual({ rules: [], requests: [] });
    expect(sandbox.logLines).toEqual([]);
  });
});

describe('unsigned requests', () => {
  it('answers 502 explaining why moto did not treat them as Organizations', async () => {
    const res = await fetch(`${sandbox.url}/`, {
      method: 'POST',
      headers: {
        'x-amz-target': 'AWSOrganizationsV20161128.ListRoots',
        'content-type': 'application/x-amz-json-1.1',
      },
      body: '{}',
    });
    expect(res.status).toBe(502);
    expect((await res.json()).Message).toMatch(
      /no SigV4 Authorization header, so moto treated it as S3/,
    );
  });
});

describe('create-account-in-progress', () => {
  it('answers IN_PROGRESS for N polls, hiding the account, then SUCCEEDED', async () => {
    const client = sandbox.client();
    const ruleId = await faults.add({
      type: 'create-account-in-progress',
      polls: 2,
    });

    const created = await createAccount(client, 'slow@example.com');
    expect(created.State).toBe('IN_PROGRESS');
    expect(created.AccountId).toBeUndefined();
    expect(created.Id).toMatch(/^car-/);
    const id = created.Id ?? '';

    // moto really has it; AWS would not list it yet.
    const inMoto = motoClient();
    expect(await accountEmails(inMoto)).toContain('slow@example.com');
    inMoto.destroy();
    expect(await accountEmails(client)).not.toContain('slow@example.com');
    const hiddenId = (await faults.list()).requests[0]?.accountId ?? '';
    expect(hiddenId).toMatch(/^\d{12}$/);
    await expect(
      client.send(new DescribeAccountCommand({ AccountId: hiddenId })),
    ).rejects.toBeInstanceOf(AccountNotFoundException);
    const inRoot = await client.send(
      new ListAccountsForParentCommand({ ParentId: seed.rootId }),
    );
    expect(inRoot.Accounts?.map(a => a.Id)).not.toContain(hiddenId);
    expect(inRoot.Accounts?.length).toBe(1);
    await expect(
      client.send(
        new MoveAccountCommand({
          AccountId: hiddenId,
          SourceParentId: seed.rootId,
          DestinationParentId: seed.ous.Sandbox,
        }),
      ),
    ).rejects.toBeInstanceOf(AccountNotFoundException);

    expect((await statuses(client, ['IN_PROGRESS'])).map(s => s.Id)).toEqual([
      id,
    ]);
    expect(
      (await statuses(client, ['SUCCEEDED'])).map(s => s.Id),
    ).not.toContain(id);

    expect((await poll(client, id)).State).toBe('IN_PROGRESS');
    expect((await poll(client, id)).State).toBe('IN_PROGRESS');
    const done = await poll(client, id);
    expect(done.State).toBe('SUCCEEDED');
    expect(done.AccountId).toBe(hiddenId);

    expect(await accountEmails(client)).toContain('slow@example.com');
    const account = await client.send(
      new DescribeAccountCommand({ AccountId: hiddenId }),
    );
    expect(account.Account?.Email).toBe('slow@example.com');
    expect(await statuses(client, ['IN_PROGRESS'])).toEqual([]);

    // times defaulted to 1: the next CreateAccount is moto's own again.
    expect((await createAccount(client, 'fast@example.com')).State).toBe(
      'SUCCEEDED',
    );
    expect(sandbox.logLines.some(l => l.includes(`rule ${ruleId}`))).toBe(true);
    expect(sandbox.logLines.join('\n')).not.toMatch(
      /Credential=|sandbox-test|Signature/,
    );
  });
});

describe('create-account-failure', () => {
  it('ends FAILED with EMAIL_ALREADY_EXISTS and creates nothing in moto', async () => {
    const client = sandbox.client();
    const first = await createAccount(client, 'taken@example.com');
    expect(first.State).toBe('SUCCEEDED');
    await faults.add({
      type: 'create-account-failure',
      reason: 'EMAIL_ALREADY_EXISTS',
      polls: 1,
      match: { email: 'taken@example.com' },
    });

    const second = await createAccount(client, 'taken@example.com');
    expect(second.State).toBe('IN_PROGRESS');
    expect(second.Id).toMatch(/^car-[0-9a-f]{32}$/);
    expect(second.AccountName).toBe('taken');
    expect(second.RequestedTimestamp).toBeInstanceOf(Date);
    const id = second.Id ?? '';

    expect((await poll(client, id)).State).toBe('IN_PROGRESS');
    const failed = await poll(client, id);
    expect(failed).toMatchObject({
      Id: id,
      State: 'FAILED',
      FailureReason: 'EMAIL_ALREADY_EXISTS',
    });
    expect(failed.AccountId).toBeUndefined();
    // It stays failed.
    expect((await poll(client, id)).State).toBe('FAILED');
    expect(
      (await statuses(client, ['FAILED'])).map(s => [s.Id, s.FailureReason]),
    ).toEqual([[id, 'EMAIL_ALREADY_EXISTS']]);

    const inMoto = motoClient();
    expect(
      (await accountEmails(inMoto)).filter(e => e === 'taken@example.com'),
    ).toHaveLength(1);
    inMoto.destroy();
  });

  it('passes a reason AWS does not document through verbatim', async () => {
    const client = sandbox.client();
    await faults.add({
      type: 'create-account-failure',
      reason: 'SOMETHING_AWS_ADDED_LATER',
    });
    const status = await createAccount(client, 'new@example.com');
    expect(status.State).toBe('IN_PROGRESS');
    const failed = await poll(client, status.Id ?? '');
    expect(failed.State).toBe('FAILED');
    expect(failed.FailureReason).toBe('SOMETHING_AWS_ADDED_LATER');
  });

  it('matches emails by /regex/', async () => {
    const client = sandbox.client();
    await faults.add({
      type: 'create-account-failure',
      reason: 'ACCOUNT_LIMIT_EXCEEDED',
      sticky: true,
      match: { email: '/@blocked\\.example$/i' },
    });
    expect((await createAccount(client, 'ok@fine.example')).State).toBe(
      'SUCCEEDED',
    );
    expect((await createAccount(client, 'a@BLOCKED.example')).State).toBe(
      'IN_PROGRESS',
    );
    expect((await createAccount(client, 'b@blocked.example')).State).toBe(
      'IN_PROGRESS',
    );
    const [rule] = (await faults.list()).rules;
    expect(rule).toMatchObject({ remaining: null, applied: 2 });
  });
});

describe('error rules', () => {
  it('throttles with TooManyRequestsException until times is used up', async () => {
    const client = sandbox.client();
    await faults.add({
      type: 'error',
      operation: 'CreateAccount',
      error: 'TooManyRequestsException',
      message: 'Rate exceeded',
      times: 2,
    });

    for (let i = 0; i < 2; i++) {
      const error = await createAccount(client, 'busy@example.com').catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TooManyRequestsException);
      expect((error as TooManyRequestsException).message).toBe('Rate exceeded');
      expect((error as TooManyRequestsException).$metadata.httpStatusCode).toBe(
        400,
      );
    }
    // Other operations were never affected.
    const roots = await client.send(new ListRootsCommand({}));
    expect(roots.Roots?.[0]?.Id).toBe(seed.rootId);

    expect((await createAccount(client, 'busy@example.com')).State).toBe(
      'SUCCEEDED',
    );
    expect(await faults.list()).toEqual({ rules: [], requests: [] });
    const inMoto = motoClient();
    expect(
      (await accountEmails(inMoto)).filter(e => e === 'busy@example.com'),
    ).toHaveLength(1);
    inMoto.destroy();
  });

  it.each([
    ['ConcurrentModificationException', ConcurrentModificationException],
    ['DuplicateAccountException', DuplicateAccountException],
    ['AWSOrganizationsNotInUseException', AWSOrganizationsNotInUseException],
  ])('surfaces %s as its SDK class', async (name, ErrorClass) => {
    const client = sandbox.client();
    const account = await createAccount(client, 'mover@example.com');
    await faults.add({ type: 'error', operation: 'MoveAccount', error: name });
    const move = () =>
      client.send(
        new MoveAccountCommand({
          AccountId: account.AccountId,
          SourceParentId: seed.rootId,
          DestinationParentId: seed.ous['Workloads/Dev'],
        }),
      );
    await expect(move()).rejects.toBeInstanceOf(ErrorClass);
    await expect(move()).resolves.toMatchObject({
      $metadata: { httpStatusCode: 200 },
    });
  });

  it("applies '*' to every operation and honours status", async () => {
    const client = sandbox.client();
    await faults.add({
      type: 'error',
      operation: '*',
      error: 'ServiceException',
      status: 500,
      times: 2,
    });
    const first = await client.send(new ListRootsCommand({})).catch(e => e);
    expect(first).toBeInstanceOf(OrganizationsServiceException);
    expect((first as OrganizationsServiceException).name).toBe(
      'ServiceException',
    );
    expect(
      (first as OrganizationsServiceException).$metadata.httpStatusCode,
    ).toBe(500);
    await expect(createAccount(client, 'x@example.com')).rejects.toBeInstanceOf(
      OrganizationsServiceException,
    );
    expect((await client.send(new ListRootsCommand({}))).Roots).toHaveLength(1);
  });

  it('applies the first matching rule, in insertion order', async () => {
    const client = sandbox.client();
    await faults.add({
      type: 'error',
      operation: 'CreateAccount',
      error: 'TooManyRequestsException',
    });
    await faults.add({ type: 'create-account-in-progress', polls: 1 });
    await expect(
      createAccount(client, 'order@example.com'),
    ).rejects.toBeInstanceOf(TooManyRequestsException);
    expect((await createAccount(client, 'order@example.com')).State).toBe(
      'IN_PROGRESS',
    );
    expect((await createAccount(client, 'order@example.com')).State).toBe(
      'SUCCEEDED',
    );
  });
});

describe('access-key scoping', () => {
  it('keeps a rule for key A away from key B', async () => {
    const a = sandbox.client('tenant-a-key');
    const b = sandbox.client('tenant-b-key');
    await faults.add({
      type: 'error',
      operation: '*',
      error: 'TooManyRequestsException',
      sticky: true,
      match: { accessKeyId: 'tenant-a-key' },
    });
    await faults.add({
      type: 'create-account-in-progress',
      polls: 1,
      match: { accessKeyId: 'tenant-b-key' },
    });

    expect((await b.send(new ListRootsCommand({}))).Roots?.[0]?.Id).toBe(
      seed.rootId,
    );
    await expect(a.send(new ListRootsCommand({}))).rejects.toBeInstanceOf(
      TooManyRequestsException,
    );
    const fromB = await createAccount(b, 'b@example.com');
    expect(fromB.State).toBe('IN_PROGRESS');
    // A third key sees neither fault.
    const c = sandbox.client('tenant-c-key');
    expect((await createAccount(c, 'c@example.com')).State).toBe('SUCCEEDED');

    const { rules } = await faults.list();
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({
      remaining: null,
      applied: 1,
      rule: { match: { accessKeyId: 'tenant-a-key' } },
    });
  });
});

describe('admin API', () => {
  async function post(body: string) {
    const res = await fetch(`${sandbox.url}/__tenancy/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    return { status: res.status, body: await res.json() };
  }

  it.each([
    ['not json', /one fault rule as JSON/],
    ['[]', /must be a JSON object/],
    ['{"type":"nope"}', /type must be one of/],
    ['{"type":"create-account-in-progress"}', /polls must be an integer/],
    ['{"type":"create-account-in-progress","polls":-1}', /polls must be/],
    ['{"type":"create-account-failure","reason":""}', /reason must be/],
    ['{"type":"error","operation":"CreateAccount"}', /error must be/],
    [
      '{"type":"error","operation":"ListRoots","error":"X","extra":1}',
      /unknown field "extra"/,
    ],
    [
      '{"type":"error","operation":"ListRoots","error":"X","status":200}',
      /status must be .* 400 to 599/,
    ],
    [
      '{"type":"error","operation":"ListRoots","error":"X","match":{"email":"a@b"}}',
      /only applies to CreateAccount/,
    ],
    [
      '{"type":"create-account-failure","reason":"X","match":{"email":"/(/"}}',
      /not a valid regular expression/,
    ],
    [
      '{"type":"create-account-failure","reason":"X","times":0}',
      /times must be/,
    ],
    [
      '{"type":"create-account-failure","reason":"X","times":3,"sticky":true}',
      /either sticky or times/,
    ],
    [
      '{"type":"create-account-failure","reason":"X","match":{"accessKey":"a"}}',
      /unknown field "accessKey"/,
    ],
  ])('answers 400 for %s', async (body, message) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.body.error.name).toBe('InputError');
    expect(res.body.error.message).toMatch(message);
    expect((await faults.list()).rules).toEqual([]);
  });

  it('rejects bad rules through FaultClient with the status', async () => {
    const error = await faults
      .add({ type: 'create-account-in-progress', polls: 1.5 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FaultClientError);
    expect((error as FaultClientError).status).toBe(400);
    expect((error as FaultClientError).message).toMatch(/polls must be/);
  });

  it('lists, removes one, and clears', async () => {
    const a = await faults.add({
      type: 'error',
      operation: 'ListRoots',
      error: 'TooManyRequestsException',
      times: 3,
    });
    const b = await faults.add({
      type: 'create-account-failure',
      reason: 'INTERNAL_FAILURE',
      sticky: true,
    });
    const c = await faults.add({
      type: 'create-account-in-progress',
      polls: 4,
    });
    expect(new Set([a, b, c]).size).toBe(3);

    const listed = await faults.list();
    expect(listed.rules.map(r => [r.id, r.remaining, r.rule.type])).toEqual([
      [a, 3, 'error'],
      [b, null, 'create-account-failure'],
      [c, 1, 'create-account-in-progress'],
    ]);

    const client = sandbox.client();
    await expect(client.send(new ListRootsCommand({}))).rejects.toBeInstanceOf(
      TooManyRequestsException,
    );
    expect((await faults.list()).rules[0]).toMatchObject({
      id: a,
      remaining: 2,
      applied: 1,
    });

    await faults.remove(a);
    expect((await faults.list()).rules.map(r => r.id)).toEqual([b, c]);
    // Removed means no longer applied.
    expect((await client.send(new ListRootsCommand({}))).Roots).toHaveLength(1);

    const missing = await faults.remove(a).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(FaultClientError);
    expect((missing as FaultClientError).status).toBe(404);

    await faults.clear();
    expect((await faults.list()).rules).toEqual([]);
    expect((await createAccount(client, 'after@example.com')).State).toBe(
      'SUCCEEDED',
    );
  });

  it('keeps faked requests on course when rules are cleared', async () => {
    const client = sandbox.client();
    await faults.add({
      type: 'create-account-failure',
      reason: 'CONCURRENT_ACCOUNT_MODIFICATION',
      polls: 1,
    });
    const status = await createAccount(client, 'flight@example.com');
    await faults.clear();
    expect((await faults.list()).requests).toMatchObject([
      { requestId: status.Id, pollsLeft: 1 },
    ]);
    expect((await poll(client, status.Id ?? '')).State).toBe('IN_PROGRESS');
    expect((await poll(client, status.Id ?? '')).FailureReason).toBe(
      'CONCURRENT_ACCOUNT_MODIFICATION',
    );
  });

  it('answers 404 and 405 for unknown routes and methods', async () => {
    const put = await fetch(`${sandbox.url}/__tenancy/faults`, {
      method: 'PUT',
    });
    expect(put.status).toBe(405);
    const get = await fetch(`${sandbox.url}/__tenancy/faults/f1`);
    expect(get.status).toBe(404);
    expect((await get.json()).error.name).toBe('NotFoundError');
  });
});
