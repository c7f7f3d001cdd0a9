import {
  DuplicateAccountException,
  MoveAccountCommand,
  TooManyRequestsException,
  ListRootsCommand,
} from '@aws-sdk/client-organizations';
import { Command } from 'commander';
import { registerAwsCommands } from './cli';
import { AwsTestSandbox, startAwsTestSandbox } from './testUtils';

// The first run installs moto into the cache (about half a minute).
jest.setTimeout(300_000);

let sandbox: AwsTestSandbox;

beforeAll(async () => {
  sandbox = await startAwsTestSandbox();
});

afterAll(async () => {
  await sandbox?.stop();
});

beforeEach(async () => {
  await sandbox.reset();
});

async function run(...args: string[]): Promise<string> {
  let out = '';
  const program = new Command('tenancy-sandbox')
    .exitOverride()
    .configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerAwsCommands(program, async () => sandbox.url, {
    write: text => {
      out += text;
    },
  });
  await program.parseAsync(args, { from: 'user' });
  return out;
}

describe('fault aws', () => {
  it('adds rules with friendly options and lists them', async () => {
    expect(await run('fault', 'aws', 'list')).toBe('No AWS fault rules.\n');

    expect(
      await run(
        'fault',
        'aws',
        'in-progress',
        '--polls',
        '2',
        '--email',
        'a@example.com',
      ),
    ).toBe(
      'Added f1: CreateAccount → IN_PROGRESS for 2 poll(s), then SUCCEEDED (only email a@example.com) [1×]\n',
    );
    await run(
      'fault',
      'aws',
      'fail',
      'EMAIL_ALREADY_EXISTS',
      '--polls',
      '1',
      '--sticky',
    );
    await run(
      'fault',
      'aws',
      'throttle',
      '--operation',
      'CreateAccount',
      '--times',
      '5',
    );
    await run(
      'fault',
      'aws',
      'error',
      'DuplicateAccountException',
      '--operation',
      'MoveAccount',
      '--access-key',
      'key-a',
    );
    await run(
      'fault',
      'aws',
      'add',
      '{"type":"error","operation":"*","error":"X","status":503}',
    );

    expect(sandbox.layer.listRules().map(r => r.rule)).toEqual([
      {
        type: 'create-account-in-progress',
        polls: 2,
        match: { email: 'a@example.com' },
      },
      {
        type: 'create-account-failure',
        reason: 'EMAIL_ALREADY_EXISTS',
        polls: 1,
        sticky: true,
      },
      {
        type: 'error',
        operation: 'CreateAccount',
        error: 'TooManyRequestsException',
        message: 'Rate exceeded',
        times: 5,
      },
      {
        type: 'error',
        operation: 'MoveAccount',
        error: 'DuplicateAccountException',
        match: { accessKeyId: 'key-a' },
      },
      { type: 'error', operation: '*', error: 'X', status: 503 },
    ]);

    const listing = await run('fault', 'aws', 'list');
    expect(listing.split('\n')).toEqual([
      'AWS fault rules (first match applies):',
      '  f1    CreateAccount → IN_PROGRESS for 2 poll(s), then SUCCEEDED (only email a@example.com)  [1 left, applied 0]',
      '  f2    CreateAccount → IN_PROGRESS for 1 poll(s), then FAILED EMAIL_ALREADY_EXISTS  [until cleared, applied 0]',
      '  f3    CreateAccount → 400 TooManyRequestsException  [5 left, applied 0]',
      '  f4    MoveAccount → 400 DuplicateAccountException (only access key key-a)  [1 left, applied 0]',
      '  f5    every call → 503 X  [1 left, applied 0]',
      '',
    ]);
    expect(
      JSON.parse(await run('fault', 'aws', 'list', '--json')).rules,
    ).toHaveLength(5);

    expect(await run('fault', 'aws', 'remove', 'f5')).toBe('Removed f5.\n');
    expect(sandbox.layer.listRules().map(r => r.id)).toEqual([
      'f1',
      'f2',
      'f3',
      'f4',
    ]);
    expect(await run('fault', 'aws', 'clear')).toBe(
      'Cleared all AWS fault rules.\n',
    );
    expect(sandbox.layer.listRules()).toEqual([]);
  });

  it('drives the layer the SDK talks to', async () => {
    await run(
      'fault',
      'aws',
      'throttle',
      '--operation',
      'ListRoots',
      '--times',
      '1',
    );
    const client = sandbox.client();
    await expect(client.send(new ListRootsCommand({}))).rejects.toBeInstanceOf(
      TooManyRequestsException,
    );
    await run(
      'fault',
      'aws',
      'error',
      'DuplicateAccountException',
      '--operation',
      'MoveAccount',
    );
    await expect(
      client.send(
        new MoveAccountCommand({
          AccountId: '111111111111',
          SourceParentId: 'r-0000',
          DestinationParentId: 'ou-0000-00000000',
        }),
      ),
    ).rejects.toBeInstanceOf(DuplicateAccountException);
  });

  it('refuses bad input before calling the layer', async () => {
    await expect(run('fault', 'aws', 'fail', 'has spaces')).rejects.toThrow(
      /reason .* does not match/,
    );
    await expect(
      run('fault', 'aws', 'in-progress', '--polls', 'many'),
    ).rejects.toThrow(/whole number/);
    await expect(run('fault', 'aws', 'error', 'X')).rejects.toThrow(
      /--operation/,
    );
    await expect(run('fault', 'aws', 'add', '{oops')).rejects.toThrow(
      /not JSON/,
    );
    await expect(
      run('fault', 'aws', 'throttle', '--times', '0'),
    ).rejects.toThrow(/times must be/);
    expect(sandbox.layer.listRules()).toEqual([]);
  });

  it('reports a layer that cannot be reached', async () => {
    let out = '';
    const program = new Command().exitOverride();
    registerAwsCommands(program, async () => 'http://127.0.0.1:9', {
      write: t => {
        out += t;
      },
    });
    await expect(
      program.parseAsync(['fault', 'aws', 'list'], { from: 'user' }),
    ).rejects.toThrow(/fetch failed/);
    expect(out).toBe('');
  });
});
