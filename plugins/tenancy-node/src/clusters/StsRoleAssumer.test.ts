import { connectSandbox } from '@tenancy/sandbox';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { StsRoleAssumer } from './StsRoleAssumer';

const SOURCE = {
  // Made at run time in the access key's shape; no key is kept in the repo.
  accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`,
  secretAccessKey: 'source-secret-key-value',
};
const ROLE = 'arn:aws:iam::123456789012:role/tenancy-eks-reader';

describe('StsRoleAssumer against moto', () => {
  const sandbox = connectSandbox();

  it('returns the temporary credentials STS hands out for the role', async () => {
    const assumer = new StsRoleAssumer({
      endpoint: sandbox.state.aws.endpoint,
    });
    const before = Date.now();

    const credentials = await assumer.assumeRole({
      roleArn: ROLE,
      externalId: 'ext-1',
      region: 'us-east-1',
      credentials: SOURCE,
    });

    expect(credentials.accessKeyId).toMatch(/^ASIA[A-Z0-9]{12,}$/);
    expect(credentials.accessKeyId).not.toBe(SOURCE.accessKeyId);
    expect(credentials.secretAccessKey.length).toBeGreaterThan(20);
    expect(credentials.sessionToken!.length).toBeGreaterThan(20);
    expect(credentials.expiration!.getTime()).toBeGreaterThan(before);
  });
});

// moto grants every AssumeRole and the sandbox's fault layer speaks only the
// Organizations protocol, so STS's error answers come from a stub server.
describe('StsRoleAssumer errors', () => {
  let server: http.Server;
  let endpoint: string;
  let reply: { status: number; body: string };
  let received: { headers: http.IncomingHttpHeaders; body: string }[];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', c => chunks.push(c));
      req.on('end', () => {
        received.push({
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
        });
        res.writeHead(reply.status, { 'content-type': 'text/xml' });
        res.end(reply.body);
      });
    });
    await new Promise<void>(resolve =>
      server.listen(0, '127.0.0.1', () => resolve()),
    );
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise(resolve => server.close(resolve)));
  beforeEach(() => {
    received = [];
  });

  const stsError = (code: string, message: string) =>
    `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`;

  it('sends a signed AssumeRole with the external id', async () => {
    reply = {
      status: 200,
      body: '<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIAFROMSTUB</AccessKeyId><SecretAccessKey>s&amp;k</SecretAccessKey><SessionToken>tok</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>',
    };

    const credentials = await new StsRoleAssumer({ endpoint }).assumeRole({
      roleArn: ROLE,
      externalId: 'ext-1',
      region: 'eu-west-1',
      credentials: { ...SOURCE, sessionToken: 'source-session' },
    });

    expect(credentials).toEqual({
      accessKeyId: 'ASIAFROMSTUB',
      secretAccessKey: 's&k',
      sessionToken: 'tok',
      expiration: new Date('2030-01-01T00:00:00Z'),
    });
    const [request] = received;
    expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({
      Action: 'AssumeRole',
      Version: '2011-06-15',
      RoleArn: ROLE,
      RoleSessionName: 'backstage-tenancy',
      ExternalId: 'ext-1',
    });
    expect(request.headers.authorization).toMatch(
      new RegExp(
        `^AWS4-HMAC-SHA256 Credential=${SOURCE.accessKeyId}/\\d{8}/eu-west-1/sts/aws4_request, SignedHeaders=[^,]*host[^,]*, Signature=[0-9a-f]{64}$`,
      ),
    );
    expect(request.headers['x-amz-security-token']).toBe('source-session');
  });

  it('maps AccessDenied to NotAllowedError, naming the role but no key', async () => {
    reply = {
      status: 403,
      body: stsError(
        'AccessDenied',
        `User: arn:aws:iam::123456789012:user/backstage (key ${SOURCE.accessKeyId}) is not authorized to perform: sts:AssumeRole`,
      ),
    };

    const error = await new StsRoleAssumer({ endpoint })
      .assumeRole({ roleArn: ROLE, region: 'us-east-1', credentials: SOURCE })
      .catch(e => e);

    expect(error.name).toBe('NotAllowedError');
    expect(error.message).toContain(ROLE);
    expect(error.message).toContain('AccessDenied');
    expect(error.message).not.toContain(SOURCE.accessKeyId);
    expect(error.message).not.toContain(SOURCE.secretAccessKey);
  });

  it('reports other STS errors with their code', async () => {
    reply = {
      status: 400,
      body: stsError('ValidationError', '1 validation error detected'),
    };

    await expect(
      new StsRoleAssumer({ endpoint }).assumeRole({
        roleArn: ROLE,
        region: 'us-east-1',
        credentials: SOURCE,
      }),
    ).rejects.toThrow(
      `STS AssumeRole of ${ROLE} failed: ValidationError: 1 validation error detected`,
    );
  });

  it('reports an unreachable endpoint without the credentials', async () => {
    const closed = http.createServer();
    await new Promise<void>(resolve =>
      closed.listen(0, '127.0.0.1', () => resolve()),
    );
    const port = (closed.address() as AddressInfo).port;
    await new Promise(resolve => closed.close(resolve));

    const error = await new StsRoleAssumer({
      endpoint: `http://127.0.0.1:${port}/`,
    })
      .assumeRole({ roleArn: ROLE, region: 'us-east-1', credentials: SOURCE })
      .catch(e => e);

    expect(error.message).toMatch(
      new RegExp(`^STS AssumeRole of ${ROLE} failed: .*ECONNREFUSED`),
    );
    expect(error.message).not.toContain(SOURCE.secretAccessKey);
  });
});
