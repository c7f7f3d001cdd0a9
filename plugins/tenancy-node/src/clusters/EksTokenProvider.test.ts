import { ConfigReader } from '@backstage/config';
import { AwsCredentialsManager } from '@backstage/integration-aws-node';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { DefaultEksTokenProvider } from './EksTokenProvider';
import { AwsCredentials, AwsRoleAssumer } from './StsRoleAssumer';

// AWS's documentation example keys: fixed, and not anyone's.
// Made at run time in the access key's shape; no key is kept in the repo.
const ACCESS_KEY = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
const ASSUMED_KEY = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const SIGNED_AT = new Date('2025-03-04T05:06:07Z');

// The account of the roles below is configured too: otherwise the
// credentials manager asks STS GetCallerIdentity whether it is the main one.
const config = new ConfigReader({
  aws: {
    mainAccount: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
    accounts: [
      {
        accountId: '123456789012',
        accessKeyId: ACCESS_KEY,
        secretAccessKey: SECRET_KEY,
      },
    ],
  },
});

function decode(token: string): URL {
  expect(token.startsWith('k8s-aws-v1.')).toBe(true);
  const payload = token.slice('k8s-aws-v1.'.length);
  expect(payload).toMatch(/^[A-Za-z0-9_-]+$/);
  return new URL(Buffer.from(payload, 'base64url').toString('utf8'));
}

const rfc3986 = (v: string) =>
  encodeURIComponent(v).replace(
    /[!'()*]/g,
    c => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );

/**
 * SigV4 of the presigned GET, computed here without the SDK, so the test
 * checks the signature STS will check, not only the token's shape.
 */
function expectedSignature(
  url: URL,
  clusterName: string,
  secretKey: string,
): string {
  const params = [...url.searchParams.entries()]
    .filter(([k]) => k !== 'X-Amz-Signature')
    // Code-unit order, as SigV4 sorts; the names are unique.
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`)
    .join('&');
  const canonicalRequest = [
    'GET',
    '/',
    params,
    `host:${url.host}`,
    `x-k8s-aws-id:${clusterName}`,
    '',
    'host;x-k8s-aws-id',
    createHash('sha256').update('').digest('hex'),
  ].join('\n');
  const amzDate = url.searchParams.get('X-Amz-Date')!;
  const [, day, region, service] = url.searchParams
    .get('X-Amz-Credential')!
    .split('/');
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    `${day}/${region}/${service}/aws4_request`,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  const hmac = (key: Buffer | string, data: string) =>
    createHmac('sha256', key).update(data).digest();
  const signingKey = hmac(
    hmac(hmac(hmac(`AWS4${secretKey}`, day), region), service),
    'aws4_request',
  );
  return createHmac('sha256', signingKey).update(stringToSign).digest('hex');
}

describe('DefaultEksTokenProvider', () => {
  it('presigns STS GetCallerIdentity for the cluster with the backend credentials', async () => {
    const provider = DefaultEksTokenProvider.fromConfig(config, {
      clock: () => SIGNED_AT,
    });

    const token = await provider.getToken({ clusterName: 'payments-prod' });

    expect(token).not.toContain('=');
    const url = decode(token);
    expect(url.origin).toBe('https://sts.us-east-1.amazonaws.com');
    expect(url.pathname).toBe('/');
    const q = url.searchParams;
    expect(q.get('Action')).toBe('GetCallerIdentity');
    expect(q.get('Version')).toBe('2011-06-15');
    expect(q.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(q.get('X-Amz-Credential')).toBe(
      `${ACCESS_KEY}/20250304/us-east-1/sts/aws4_request`,
    );
    expect(q.get('X-Amz-Date')).toBe('20250304T050607Z');
    expect(q.get('X-Amz-Expires')).toBe('60');
    expect(q.get('X-Amz-SignedHeaders')!.split(';')).toEqual([
      'host',
      'x-k8s-aws-id',
    ]);
    expect(q.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(q.get('X-Amz-Signature')).toBe(
      expectedSignature(url, 'payments-prod', SECRET_KEY),
    );
    expect(q.has('X-Amz-Security-Token')).toBe(false);
    expect(token).not.toContain(SECRET_KEY);
  });

  it('signs the cluster name in: another name, another signature', async () => {
    const provider = DefaultEksTokenProvider.fromConfig(config, {
      clock: () => SIGNED_AT,
    });

    const a = decode(await provider.getToken({ clusterName: 'cluster-a' }));
    const b = decode(await provider.getToken({ clusterName: 'cluster-b' }));

    expect(a.searchParams.get('X-Amz-Signature')).not.toBe(
      b.searchParams.get('X-Amz-Signature'),
    );
    expect(b.searchParams.get('X-Amz-Signature')).toBe(
      expectedSignature(b, 'cluster-b', SECRET_KEY),
    );
    // The name is a signed header, not part of the URL.
    expect(a.href).not.toContain('cluster-a');
  });

  it('uses the cluster region for the endpoint and the credential scope', async () => {
    const provider = DefaultEksTokenProvider.fromConfig(config, {
      clock: () => SIGNED_AT,
    });

    const url = decode(
      await provider.getToken({ clusterName: 'c', region: 'eu-west-1' }),
    );

    expect(url.host).toBe('sts.eu-west-1.amazonaws.com');
    expect(url.searchParams.get('X-Amz-Credential')).toBe(
      `${ACCESS_KEY}/20250304/eu-west-1/sts/aws4_request`,
    );
    expect(url.searchParams.get('X-Amz-Signature')).toBe(
      expectedSignature(url, 'c', SECRET_KEY),
    );
  });

  it('refuses a region that is not one before signing anything', async () => {
    const provider = DefaultEksTokenProvider.fromConfig(config);

    await expect(
      provider.getToken({ clusterName: 'c', region: 'evil.example.com/x' }),
    ).rejects.toMatchObject({ name: 'InputError' });
  });

  it('reuses a token until a minute before its 15 minutes are up', async () => {
    let now = SIGNED_AT.getTime();
    const provider = DefaultEksTokenProvider.fromConfig(config, {
      clock: () => new Date(now),
    });

    const first = await provider.getToken({ clusterName: 'c' });
    now += 13 * 60 * 1000;
    expect(await provider.getToken({ clusterName: 'c' })).toBe(first);

    now += 60 * 1000 + 1;
    const renewed = await provider.getToken({ clusterName: 'c' });
    expect(renewed).not.toBe(first);
    expect(decode(renewed).searchParams.get('X-Amz-Date')).toBe(
      '20250304T052007Z',
    );
  });

  // STS AssumeRole itself is not called here (StsRoleAssumer.test.ts runs it
  // against the sandbox's moto): a fake assumer hands out fixed credentials,
  // and the test checks the token is signed with them, not the backend's.
  it('signs with the assumed role credentials when the cluster names a role', async () => {
    const assumed: AwsCredentials = {
      accessKeyId: ASSUMED_KEY,
      secretAccessKey: 'assumed-secret-key',
      sessionToken: 'assumed-session-token',
      expiration: new Date(SIGNED_AT.getTime() + 60 * 60 * 1000),
    };
    const assumeRole = jest.fn<
      ReturnType<AwsRoleAssumer['assumeRole']>,
      Parameters<AwsRoleAssumer['assumeRole']>
    >(async () => assumed);
    const provider = DefaultEksTokenProvider.fromConfig(config, {
      roleAssumer: { assumeRole },
      clock: () => SIGNED_AT,
    });
    const role = 'arn:aws:iam::123456789012:role/eks-reader';

    const url = decode(
      await provider.getToken({
        clusterName: 'c',
        assumeRole: role,
        externalId: 'ext-1',
      }),
    );

    expect(assumeRole).toHaveBeenCalledTimes(1);
    expect(assumeRole.mock.calls[0][0]).toMatchObject({
      roleArn: role,
      externalId: 'ext-1',
      region: 'us-east-1',
      credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
    });
    expect(url.searchParams.get('X-Amz-Credential')).toBe(
      `${ASSUMED_KEY}/20250304/us-east-1/sts/aws4_request`,
    );
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe(
      'assumed-session-token',
    );
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe(
      'host;x-k8s-aws-id',
    );
    expect(url.searchParams.get('X-Amz-Signature')).toBe(
      expectedSignature(url, 'c', 'assumed-secret-key'),
    );

    // Another cluster with the same role: the role's credentials are reused.
    await provider.getToken({
      clusterName: 'd',
      assumeRole: role,
      externalId: 'ext-1',
    });
    expect(assumeRole).toHaveBeenCalledTimes(1);
  });

  it('stops reusing a token when the assumed credentials under it expire', async () => {
    let now = SIGNED_AT.getTime();
    let n = 0;
    const roleAssumer: AwsRoleAssumer = {
      assumeRole: async () => ({
        accessKeyId: `ASIAROLEKEY${++n}`,
        secretAccessKey: 's',
        sessionToken: 't',
        // Shorter than a token's 15 minutes.
        expiration: new Date(now + 5 * 60 * 1000),
      }),
    };
    const provider = DefaultEksTokenProvider.fromConfig(config, {
      roleAssumer,
      clock: () => new Date(now),
    });
    const request = {
      clusterName: 'c',
      assumeRole: 'arn:aws:iam::123456789012:role/r',
    };

    const first = decode(await provider.getToken(request));
    now += 3 * 60 * 1000;
    expect(decode(await provider.getToken(request)).href).toBe(first.href);
    now += 60 * 1000 + 1;
    const second = decode(await provider.getToken(request));

    expect(first.searchParams.get('X-Amz-Credential')).toMatch(
      /^ASIAROLEKEY1\//,
    );
    expect(second.searchParams.get('X-Amz-Credential')).toMatch(
      /^ASIAROLEKEY2\//,
    );
  });

  it("takes the role's account credentials when aws.accounts has that account", async () => {
    const calls: unknown[] = [];
    const manager: AwsCredentialsManager = {
      async getCredentialProvider(opts) {
        calls.push(opts);
        return {
          sdkCredentialProvider: async () =>
            opts?.arn
              ? { accessKeyId: 'AKIAACCOUNTKEY', secretAccessKey: 'acct' }
              : { accessKeyId: 'AKIAMAINKEY', secretAccessKey: 'main' },
        };
      },
    };
    const assumeRole = jest.fn(async () => ({
      accessKeyId: 'ASIAX',
      secretAccessKey: 'x',
    }));
    const provider = DefaultEksTokenProvider.fromConfig(config, {
      awsCredentialsManager: manager,
      roleAssumer: { assumeRole },
    });
    const role = 'arn:aws:iam::210987654321:role/r';

    await provider.getToken({ clusterName: 'c', assumeRole: role });

    expect(calls).toEqual([{ arn: role }]);
    expect(assumeRole).toHaveBeenCalledWith(
      expect.objectContaining({
        credentials: { accessKeyId: 'AKIAACCOUNTKEY', secretAccessKey: 'acct' },
      }),
    );
  });

  it('falls back to the main account when no integration matches the role', async () => {
    const manager: AwsCredentialsManager = {
      async getCredentialProvider(opts) {
        if (opts?.arn) {
          throw new Error(
            'There is no AWS integration that matches 210987654321. Please add a configuration for this AWS account.',
          );
        }
        return {
          sdkCredentialProvider: async () => ({
            accessKeyId: 'AKIAMAINKEY',
            secretAccessKey: 'main',
          }),
        };
      },
    };
    const assumeRole = jest.fn(async () => ({
      accessKeyId: 'ASIAX',
      secretAccessKey: 'x',
    }));
    const provider = DefaultEksTokenProvider.fromConfig(config, {
      awsCredentialsManager: manager,
      roleAssumer: { assumeRole },
    });

    await provider.getToken({
      clusterName: 'c',
      assumeRole: 'arn:aws:iam::210987654321:role/r',
    });

    expect(assumeRole).toHaveBeenCalledWith(
      expect.objectContaining({
        credentials: { accessKeyId: 'AKIAMAINKEY', secretAccessKey: 'main' },
      }),
    );
  });

  it('does not keep a failure: the next call tries again', async () => {
    let fail = true;
    const provider = DefaultEksTokenProvider.fromConfig(config, {
      roleAssumer: {
        assumeRole: async () => {
          if (fail) throw new Error('STS unavailable');
          return { accessKeyId: 'ASIAOK', secretAccessKey: 'ok' };
        },
      },
    });
    const request = {
      clusterName: 'c',
      assumeRole: 'arn:aws:iam::123456789012:role/r',
    };

    await expect(provider.getToken(request)).rejects.toThrow('STS unavailable');
    fail = false;
    const url = decode(await provider.getToken(request));

    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^ASIAOK\//);
  });
});
