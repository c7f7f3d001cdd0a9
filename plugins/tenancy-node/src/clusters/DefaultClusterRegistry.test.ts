import { randomBytes } from 'node:crypto';
import {
  createMockDirectory,
  mockServices,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import { AwsCredentialsManager } from '@backstage/integration-aws-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { compileRoleAllowList } from './catalogClusters';
import { DefaultClusterRegistry } from './DefaultClusterRegistry';
import { DefaultEksTokenProvider, EksTokenProvider } from './EksTokenProvider';
import { AwsCredentials, AwsRoleAssumer } from './StsRoleAssumer';

const CA_PEM =
  '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';
const CA_DATA = Buffer.from(CA_PEM).toString('base64');
const SA_TOKEN = 'sa-token-0123456789abcdef';
const EKS_URL = 'https://abcdef0123456789.gr7.eu-west-1.eks.amazonaws.com';

/** Every string the logger mock was given, joined. */
function logged(logger: ReturnType<typeof mockServices.logger.mock>): string {
  return [logger.warn, logger.info, logger.error, logger.debug]
    .flatMap(fn => fn.mock.calls)
    .map(args => JSON.stringify(args))
    .join('\n');
}

function warnings(logger: ReturnType<typeof mockServices.logger.mock>) {
  return logger.warn.mock.calls.map(([message]) => message);
}

function clusterEntity(
  name: string,
  annotations: Record<string, string>,
  namespace = 'default',
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: { name, namespace, annotations },
    spec: { type: 'kubernetes-cluster', owner: 'group:platform' },
  };
}

const eksAnnotations = (extra: Record<string, string> = {}) => ({
  'kubernetes.io/api-server': EKS_URL,
  'kubernetes.io/api-server-certificate-authority': CA_DATA,
  'kubernetes.io/auth-provider': 'aws',
  ...extra,
});

function catalogRegistry(
  entities: Entity[],
  configClusters: object[] = [],
  options: {
    eksTokenProvider?: EksTokenProvider;
    /** tenancy.clusters.catalog.allowedAssumeRoles; absent when undefined. */
    allowedAssumeRoles?: string[];
  } = {},
) {
  const { allowedAssumeRoles, ...registryOptions } = options;
  const logger = mockServices.logger.mock();
  const catalog = catalogServiceMock({ entities });
  const registry = DefaultClusterRegistry.fromConfig(
    new ConfigReader({
      kubernetes: {
        clusterLocatorMethods: [
          { type: 'config', clusters: configClusters },
          { type: 'catalog' },
        ],
      },
      ...(allowedAssumeRoles && {
        tenancy: { clusters: { catalog: { allowedAssumeRoles } } },
      }),
    }),
    { logger, catalog, auth: mockServices.auth(), ...registryOptions },
  );
  return { registry, logger, catalog };
}

/**
 * Fake AWS access key ids, made at run time (the prefixes AWS gives
 * long-lived and temporary keys), so no key-shaped literal sits in the repo.
 */
const fakeKeyId = (prefix: string) =>
  `${prefix}${randomBytes(8).toString('hex').toUpperCase()}`;
const ASSUMED_KEY_ID = fakeKeyId(['AS', 'IA'].join(''));
const BACKEND_KEY_ID = fakeKeyId(['AK', 'IA'].join(''));

/**
 * The real token provider over a fake STS: `assumeRole` counts the AssumeRole
 * calls that would have gone to STS.
 */
function countingEksTokenProvider() {
  const assumeRole = jest.fn<
    ReturnType<AwsRoleAssumer['assumeRole']>,
    Parameters<AwsRoleAssumer['assumeRole']>
  >(
    async (): Promise<AwsCredentials> => ({
      accessKeyId: ASSUMED_KEY_ID,
      secretAccessKey: 'assumed-secret-key',
      sessionToken: 'assumed-session-token',
    }),
  );
  const awsCredentialsManager: AwsCredentialsManager = {
    getCredentialProvider: async () => ({
      sdkCredentialProvider: async () => ({
        accessKeyId: BACKEND_KEY_ID,
        secretAccessKey: 'backend-secret-key',
      }),
    }),
  };
  const eksTokenProvider = DefaultEksTokenProvider.fromConfig(
    new ConfigReader({}),
    { awsCredentialsManager, roleAssumer: { assumeRole } },
  );
  return { eksTokenProvider, assumeRole };
}

/** The access key an EKS token is signed with. */
function signingKeyOf(token: string | undefined): string | undefined {
  const url = new URL(
    Buffer.from(token!.slice('k8s-aws-v1.'.length), 'base64url').toString(),
  );
  return url.searchParams.get('X-Amz-Credential')?.split('/')[0];
}

describe('DefaultClusterRegistry from app-config', () => {
  const mockDir = createMockDirectory();

  it('reads serviceAccount and aws clusters with the keys of the Kubernetes plugin', async () => {
    mockDir.setContent({ 'ca.pem': CA_PEM });
    const logger = mockServices.logger.mock();
    const registry = DefaultClusterRegistry.fromConfig(
      mockServices.rootConfig({
        data: {
          kubernetes: {
            clusterLocatorMethods: [
              {
                type: 'config',
                clusters: [
                  {
                    name: 'local',
                    url: 'http://127.0.0.1:8001/',
                    authProvider: 'serviceAccount',
                    serviceAccountToken: SA_TOKEN,
                    caData: CA_DATA,
                    skipTLSVerify: true,
                  },
                  {
                    name: 'eks-a',
                    url: EKS_URL,
                    authProvider: 'aws',
                    assumeRole: 'arn:aws:iam::123456789012:role/reader',
                    externalId: 'ext-a',
                    awsRegion: 'eu-west-1',
                    caFile: mockDir.resolve('ca.pem'),
                  },
                  {
                    name: 'eks-b',
                    url: EKS_URL,
                    authMetadata: {
                      'kubernetes.io/auth-provider': 'aws',
                      'kubernetes.io/x-k8s-aws-id': 'eks-b-real-name',
                      'kubernetes.io/aws-assume-role':
                        'arn:aws:iam::123456789012:role/other',
                      'kubernetes.io/aws-external-id': 'ext-b',
                    },
                    // authMetadata wins, as in Backstage
                    assumeRole: 'arn:aws:iam::123456789012:role/ignored',
                  },
                ],
              },
            ],
          },
        },
      }),
      { logger },
    );

    const clusters = await registry.listClusters();

    expect(clusters.map(c => ({ ...c }))).toEqual([
      {
        name: 'local',
        url: 'http://127.0.0.1:8001',
        source: 'config',
        authProvider: 'serviceAccount',
        caData: CA_DATA,
        skipTLSVerify: true,
      },
      {
        name: 'eks-a',
        url: EKS_URL,
        source: 'config',
        authProvider: 'aws',
        caData: CA_DATA,
        skipTLSVerify: false,
        assumeRole: 'arn:aws:iam::123456789012:role/reader',
        externalId: 'ext-a',
        awsRegion: 'eu-west-1',
      },
      {
        name: 'eks-b',
        url: EKS_URL,
        source: 'config',
        authProvider: 'aws',
        skipTLSVerify: false,
        assumeRole: 'arn:aws:iam::123456789012:role/other',
        externalId: 'ext-b',
        awsClusterName: 'eks-b-real-name',
      },
    ]);
    // Readable, but not enumerable: it stays out of JSON and spreads (S5).
    expect(clusters[0].serviceAccountToken).toBe(SA_TOKEN);
    expect(JSON.stringify(clusters)).not.toContain(SA_TOKEN);
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it('warns about and skips locator types and auth providers it does not support', async () => {
    const logger = mockServices.logger.mock();
    const registry = DefaultClusterRegistry.fromConfig(
      new ConfigReader({
        kubernetes: {
          clusterLocatorMethods: [
            { type: 'gke', projectId: 'p' },
            { type: 'localKubectlProxy' },
            {
              type: 'config',
              clusters: [
                {
                  name: 'aks',
                  url: 'https://aks.example.com',
                  authProvider: 'aks',
                },
                {
                  name: 'in-cluster',
                  url: 'https://kubernetes.default.svc',
                  authProvider: 'serviceAccount',
                },
                {
                  name: 'ok',
                  url: 'https://ok.example.com',
                  authProvider: 'serviceAccount',
                  serviceAccountToken: SA_TOKEN,
                },
              ],
            },
          ],
        },
      }),
      { logger },
    );

    expect((await registry.listClusters()).map(c => c.name)).toEqual(['ok']);
    expect(warnings(logger)).toEqual([
      "Skipping kubernetes.clusterLocatorMethods[0]: type 'gke' is not supported by Tenancy (supported: config, catalog)",
      "Skipping kubernetes.clusterLocatorMethods[1]: type 'localKubectlProxy' is not supported by Tenancy (supported: config, catalog)",
      "Skipping cluster 'aks' from app-config: auth provider 'aks' is not supported by Tenancy (supported: serviceAccount, aws)",
      expect.stringContaining(
        "Skipping cluster 'in-cluster' from app-config: the serviceAccount auth provider needs serviceAccountToken",
      ),
    ]);
  });

  it.each([
    [
      'a URL that does not parse',
      { name: 'x', url: 'not a url', authProvider: 'aws' },
      "kubernetes.clusterLocatorMethods[0].clusters[0] ('x'): url is not a valid URL",
    ],
    [
      'a scheme other than http(s)',
      { name: 'x', url: 'file:///etc/passwd', authProvider: 'aws' },
      "kubernetes.clusterLocatorMethods[0].clusters[0] ('x'): url must use https or http",
    ],
    [
      'no auth provider',
      { name: 'x', url: 'https://x.example.com' },
      "kubernetes.clusterLocatorMethods[0].clusters[0] ('x') has no auth provider",
    ],
    [
      'a malformed role',
      {
        name: 'x',
        url: 'https://x.example.com',
        authProvider: 'aws',
        assumeRole: 'reader',
      },
      "kubernetes.clusterLocatorMethods[0].clusters[0] ('x'): assumeRole is not an IAM role ARN",
    ],
  ])('refuses to start with %s', (_what, cluster, message) => {
    expect(() =>
      DefaultClusterRegistry.fromConfig(
        new ConfigReader({
          kubernetes: {
            clusterLocatorMethods: [{ type: 'config', clusters: [cluster] }],
          },
        }),
        { logger: mockServices.logger.mock() },
      ),
    ).toThrow(message);
  });

  it('does not echo a URL with credentials in it when it is invalid', () => {
    const secretUrl = `https://admin:${SA_TOKEN}@exa mple.com`;
    let message = '';
    try {
      DefaultClusterRegistry.fromConfig(
        new ConfigReader({
          kubernetes: {
            clusterLocatorMethods: [
              {
                type: 'config',
                clusters: [{ name: 'x', url: secretUrl, authProvider: 'aws' }],
              },
            ],
          },
        }),
        { logger: mockServices.logger.mock() },
      );
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('url is not a valid URL');
    expect(message).not.toContain(SA_TOKEN);
  });

  it('refuses duplicate names within app-config', () => {
    const cluster = {
      name: 'dup',
      url: 'https://x.example.com',
      authProvider: 'serviceAccount',
      serviceAccountToken: SA_TOKEN,
    };
    expect(() =>
      DefaultClusterRegistry.fromConfig(
        new ConfigReader({
          kubernetes: {
            clusterLocatorMethods: [
              { type: 'config', clusters: [cluster] },
              { type: 'config', clusters: [cluster] },
            ],
          },
        }),
        { logger: mockServices.logger.mock() },
      ),
    ).toThrow("Duplicate cluster name 'dup'");
  });

  it('reports an unreadable caFile by path and code', () => {
    expect(() =>
      DefaultClusterRegistry.fromConfig(
        new ConfigReader({
          kubernetes: {
            clusterLocatorMethods: [
              {
                type: 'config',
                clusters: [
                  {
                    name: 'x',
                    url: 'https://x.example.com',
                    authProvider: 'aws',
                    caFile: mockDir.resolve('missing.pem'),
                  },
                ],
              },
            ],
          },
        }),
        { logger: mockServices.logger.mock() },
      ),
    ).toThrow(
      `caFile ${mockDir.resolve('missing.pem')} cannot be read: ENOENT`,
    );
  });

  it('needs the catalog and auth services when a catalog locator is configured', () => {
    expect(() =>
      DefaultClusterRegistry.fromConfig(
        new ConfigReader({
          kubernetes: { clusterLocatorMethods: [{ type: 'catalog' }] },
        }),
        { logger: mockServices.logger.mock() },
      ),
    ).toThrow('created without the catalog and auth services');
  });

  it('getCluster finds by name and throws NotFoundError listing the known names', async () => {
    const registry = DefaultClusterRegistry.fromConfig(
      new ConfigReader({
        kubernetes: {
          clusterLocatorMethods: [
            {
              type: 'config',
              clusters: ['a', 'b'].map(name => ({
                name,
                url: `https://${name}.example.com`,
                authProvider: 'serviceAccount',
                serviceAccountToken: SA_TOKEN,
              })),
            },
          ],
        },
      }),
      { logger: mockServices.logger.mock() },
    );

    expect((await registry.getCluster('b')).url).toBe('https://b.example.com');
    const error = await registry.getCluster('c').catch(e => e);
    expect(error.name).toBe('NotFoundError');
    expect(error.message).toBe("No cluster named 'c'; known clusters: a, b");
  });
});

describe('DefaultClusterRegistry from the catalog', () => {
  it('includes a valid EKS cluster with its AWS annotations', async () => {
    const { registry, logger } = catalogRegistry(
      [
        clusterEntity(
          'eks-payments',
          eksAnnotations({
            'kubernetes.io/x-k8s-aws-id': 'payments-prod',
            'kubernetes.io/aws-assume-role':
              'arn:aws:iam::123456789012:role/eks-reader',
            'kubernetes.io/aws-external-id': 'ext-1',
          }),
        ),
      ],
      [],
      { allowedAssumeRoles: ['arn:aws:iam::123456789012:role/eks-reader'] },
    );

    expect(await registry.listClusters()).toEqual([
      {
        name: 'eks-payments',
        url: EKS_URL,
        source: 'catalog',
        entityRef: 'resource:default/eks-payments',
        authProvider: 'aws',
        caData: CA_DATA,
        skipTLSVerify: false,
        awsClusterName: 'payments-prod',
        assumeRole: 'arn:aws:iam::123456789012:role/eks-reader',
        externalId: 'ext-1',
      },
    ]);
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it.each([
    [
      'http://',
      {
        'kubernetes.io/api-server':
          'http://ABCDEF.gr7.eu-west-1.eks.amazonaws.com',
      },
      'does not use https',
    ],
    [
      'the metadata service 169.254.169.254',
      { 'kubernetes.io/api-server': 'https://169.254.169.254/' },
      'points at a link-local, unspecified or cloud metadata address',
    ],
    [
      'the metadata service written as one number',
      { 'kubernetes.io/api-server': 'https://2852039166/' },
      'points at a link-local, unspecified or cloud metadata address',
    ],
    [
      'the metadata service as IPv4-mapped IPv6',
      { 'kubernetes.io/api-server': 'https://[::ffff:169.254.169.254]/' },
      'points at a link-local, unspecified or cloud metadata address',
    ],
    [
      'fe80::1',
      { 'kubernetes.io/api-server': 'https://[fe80::1]:6443' },
      'points at a link-local, unspecified or cloud metadata address',
    ],
    [
      "EC2's IPv6 metadata service fd00:ec2::254",
      { 'kubernetes.io/api-server': 'https://[fd00:ec2::254]/' },
      'points at a link-local, unspecified or cloud metadata address',
    ],
    [
      '0.0.0.0',
      { 'kubernetes.io/api-server': 'https://0.0.0.0:6443' },
      'points at a link-local, unspecified or cloud metadata address',
    ],
    [
      '[::]',
      { 'kubernetes.io/api-server': 'https://[::]:6443' },
      'points at a link-local, unspecified or cloud metadata address',
    ],
    [
      'user:pass@',
      {
        'kubernetes.io/api-server': `https://admin:${SA_TOKEN}@ABCDEF.gr7.eu-west-1.eks.amazonaws.com`,
      },
      'carries credentials',
    ],
    [
      'a query string',
      { 'kubernetes.io/api-server': `${EKS_URL}/?token=${SA_TOKEN}` },
      'has a query or fragment',
    ],
    [
      'kubernetes.io/service-account-token',
      { 'kubernetes.io/service-account-token': SA_TOKEN },
      "carries the annotation 'kubernetes.io/service-account-token', which looks like a credential",
    ],
    [
      'serviceAccountToken',
      { serviceAccountToken: SA_TOKEN },
      "carries the annotation 'serviceAccountToken', which looks like a credential",
    ],
    [
      'any annotation with token in its key',
      { 'example.com/deploy-TOKEN': SA_TOKEN },
      "carries the annotation 'example.com/deploy-TOKEN', which looks like a credential",
    ],
    [
      'the serviceAccount auth provider',
      { 'kubernetes.io/auth-provider': 'serviceAccount' },
      'the serviceAccount auth provider needs a token',
    ],
    [
      'an unsupported auth provider',
      { 'kubernetes.io/auth-provider': 'google' },
      'its kubernetes.io/auth-provider is not supported',
    ],
    [
      'aws auth towards a host that is not EKS',
      { 'kubernetes.io/api-server': 'https://k8s.attacker.example' },
      'only used with EKS endpoints',
    ],
    [
      'aws auth towards a look-alike EKS host',
      {
        'kubernetes.io/api-server':
          'https://x.eks.amazonaws.com.attacker.example',
      },
      'only used with EKS endpoints',
    ],
    [
      'a malformed role',
      { 'kubernetes.io/aws-assume-role': 'admin' },
      'its kubernetes.io/aws-assume-role is not an IAM role ARN',
    ],
    [
      'no CA',
      { 'kubernetes.io/api-server-certificate-authority': '' },
      'it has no kubernetes.io/api-server-certificate-authority',
    ],
    [
      'a CA that is not a PEM',
      { 'kubernetes.io/api-server-certificate-authority': 'bm90IGEgY2VydA==' },
      'is not a base64-encoded PEM certificate',
    ],
    [
      'no API server',
      { 'kubernetes.io/api-server': '' },
      'it has no kubernetes.io/api-server',
    ],
  ])(
    'refuses %s from the catalog, saying why but not the value',
    async (_what, extra, reason) => {
      const { registry, logger } = catalogRegistry([
        clusterEntity('bad', eksAnnotations(extra)),
        clusterEntity('good', eksAnnotations()),
      ]);

      expect((await registry.listClusters()).map(c => c.name)).toEqual([
        'good',
      ]);
      expect(warnings(logger)).toEqual([
        expect.stringMatching(
          /^Ignoring kubernetes-cluster Resource resource:default\/bad: /,
        ),
      ]);
      expect(warnings(logger)[0]).toContain(reason);
      expect(logged(logger)).not.toContain(SA_TOKEN);
      expect(logged(logger)).not.toContain(
        Buffer.from(SA_TOKEN).toString('base64'),
      );
      await expect(registry.getCluster('bad')).rejects.toMatchObject({
        name: 'NotFoundError',
      });
    },
  );

  it('ignores skip-tls-verify from the catalog, with a warning', async () => {
    const { registry, logger } = catalogRegistry(
      [
        clusterEntity(
          'eks',
          eksAnnotations({ 'kubernetes.io/skip-tls-verify': 'true' }),
        ),
      ],
      [],
      { eksTokenProvider: { getToken: async () => 'k8s-aws-v1.fake' } },
    );

    const [cluster] = await registry.listClusters();
    expect(cluster.skipTLSVerify).toBe(false);
    expect(warnings(logger)).toEqual([
      'kubernetes-cluster Resource resource:default/eks: its kubernetes.io/skip-tls-verify is ignored: TLS is always verified for clusters from the catalog',
    ]);
    const kc = await registry.kubeConfig({ ...cluster, skipTLSVerify: true });
    expect(kc.getCurrentCluster()?.skipTLSVerify).toBe(false);
  });

  it('warns about dangerouslyAllow* catalog locator options and does not honour them', async () => {
    const logger = mockServices.logger.mock();
    const registry = DefaultClusterRegistry.fromConfig(
      new ConfigReader({
        kubernetes: {
          clusterLocatorMethods: [
            {
              type: 'catalog',
              dangerouslyAllowSkipTLSVerify: true,
              dangerouslyAllowClusterUrls: ['169.254.169.254'],
            },
          ],
        },
      }),
      {
        logger,
        auth: mockServices.auth(),
        catalog: catalogServiceMock({
          entities: [
            clusterEntity(
              'imds',
              eksAnnotations({
                'kubernetes.io/api-server': 'https://169.254.169.254',
              }),
            ),
            clusterEntity(
              'eks',
              eksAnnotations({ 'kubernetes.io/skip-tls-verify': 'true' }),
            ),
          ],
        }),
      },
    );

    const clusters = await registry.listClusters();
    expect(clusters.map(c => [c.name, c.skipTLSVerify])).toEqual([
      ['eks', false],
    ]);
    expect(warnings(logger).slice(0, 2)).toEqual([
      expect.stringContaining('dangerouslyAllowSkipTLSVerify is ignored'),
      expect.stringContaining('dangerouslyAllowClusterUrls is ignored'),
    ]);
  });

  it('lets app-config win over the catalog for the same name, and says so once', async () => {
    const { registry, logger } = catalogRegistry(
      [clusterEntity('shared', eksAnnotations())],
      [
        {
          name: 'shared',
          url: 'https://config.example.com',
          authProvider: 'serviceAccount',
          serviceAccountToken: SA_TOKEN,
        },
      ],
    );

    const clusters = await registry.listClusters();
    await registry.listClusters();

    expect(clusters.map(c => [c.name, c.source, c.url])).toEqual([
      ['shared', 'config', 'https://config.example.com'],
    ]);
    expect(warnings(logger)).toEqual([
      "Cluster 'shared' from the catalog is left out: app-config has a cluster of that name, which wins",
    ]);
  });

  it('keeps the first of two catalog entities with the same name', async () => {
    const { registry, logger } = catalogRegistry([
      clusterEntity('same', eksAnnotations(), 'default'),
      clusterEntity(
        'same',
        eksAnnotations({ 'kubernetes.io/x-k8s-aws-id': 'other' }),
        'team-b',
      ),
    ]);

    const clusters = await registry.listClusters();

    expect(clusters).toHaveLength(1);
    expect(clusters[0].awsClusterName).toBeUndefined();
    expect(warnings(logger)).toEqual([
      "Ignoring kubernetes-cluster Resource resource:team-b/same: another catalog entity has the name 'same'",
    ]);
  });

  it('asks the catalog at most every 30 seconds, as the plugin itself', async () => {
    const { registry, catalog, logger } = catalogRegistry([
      clusterEntity('eks', eksAnnotations()),
      clusterEntity('bad', eksAnnotations({ 'x/token': SA_TOKEN })),
    ]);
    const getEntities = jest.spyOn(catalog, 'getEntities');
    const now = jest.spyOn(Date, 'now').mockReturnValue(1_000_000);
    try {
      await Promise.all([registry.listClusters(), registry.getCluster('eks')]);
      now.mockReturnValue(1_000_000 + 29_000);
      await registry.listClusters();
      expect(getEntities).toHaveBeenCalledTimes(1);
      expect(getEntities.mock.calls[0][0]).toEqual({
        filter: { kind: 'Resource', 'spec.type': 'kubernetes-cluster' },
      });
      expect(getEntities.mock.calls[0][1]).toEqual({
        credentials: expect.objectContaining({
          principal: expect.objectContaining({ type: 'service' }),
        }),
      });

      now.mockReturnValue(1_000_000 + 31_000);
      await registry.listClusters();
      expect(getEntities).toHaveBeenCalledTimes(2);
      // The refused entity is reported once, not on every read.
      expect(warnings(logger)).toHaveLength(1);
    } finally {
      now.mockRestore();
    }
  });

  it('keeps the last catalog clusters when the catalog fails, and does not claim "not found"', async () => {
    const { registry, catalog, logger } = catalogRegistry(
      [clusterEntity('eks', eksAnnotations())],
      [
        {
          name: 'cfg',
          url: 'https://config.example.com',
          authProvider: 'serviceAccount',
          serviceAccountToken: SA_TOKEN,
        },
      ],
    );
    const now = jest.spyOn(Date, 'now').mockReturnValue(1_000_000);
    try {
      expect((await registry.listClusters()).map(c => c.name)).toEqual([
        'cfg',
        'eks',
      ]);
      jest
        .spyOn(catalog, 'getEntities')
        .mockRejectedValue(new Error('catalog is down'));
      now.mockReturnValue(1_000_000 + 31_000);

      expect((await registry.listClusters()).map(c => c.name)).toEqual([
        'cfg',
        'eks',
      ]);
      const error = await registry.getCluster('new-one').catch(e => e);
      expect(error.name).toBe('ServiceUnavailableError');
      expect(error.message).toContain(
        "No cluster named 'new-one' among cfg, eks",
      );
      expect(warnings(logger)).toEqual([
        'Could not read clusters from the catalog; using the previous list: Error: catalog is down',
      ]);
    } finally {
      now.mockRestore();
    }
  });

  it('makes a kubeconfig for a catalog cluster with a fresh EKS token', async () => {
    const getToken = jest.fn(async () => 'k8s-aws-v1.fake');
    const { registry } = catalogRegistry(
      [
        clusterEntity(
          'eks',
          eksAnnotations({
            'kubernetes.io/x-k8s-aws-id': 'payments-prod',
            'kubernetes.io/aws-assume-role':
              'arn:aws:iam::123456789012:role/eks-reader',
          }),
        ),
      ],
      [],
      {
        eksTokenProvider: { getToken },
        allowedAssumeRoles: ['arn:aws:iam::123456789012:role/eks-reader'],
      },
    );

    const kc = await registry.kubeConfig(await registry.getCluster('eks'));

    expect(getToken).toHaveBeenCalledWith({
      clusterName: 'payments-prod',
      region: undefined,
      assumeRole: 'arn:aws:iam::123456789012:role/eks-reader',
      externalId: undefined,
    });
    expect(kc.getCurrentUser()?.token).toBe('k8s-aws-v1.fake');
    expect(kc.getCurrentCluster()).toMatchObject({
      name: 'eks',
      server: EKS_URL,
      caData: CA_DATA,
      skipTLSVerify: false,
    });
  });

  it('wraps an EKS token failure with the cluster name', async () => {
    const { registry } = catalogRegistry(
      [clusterEntity('eks', eksAnnotations())],
      [],
      {
        eksTokenProvider: {
          getToken: async () => {
            throw new Error('Could not load credentials from any providers');
          },
        },
      },
    );

    await expect(
      registry.kubeConfig(await registry.getCluster('eks')),
    ).rejects.toThrow(
      "Could not make an EKS token for cluster 'eks'; caused by Error: Could not load credentials from any providers",
    );
  });
});

describe('DefaultClusterRegistry: roles catalog clusters may have assumed (confused deputy)', () => {
  const KEY = 'tenancy.clusters.catalog.allowedAssumeRoles';
  const TENANCY_ROLE = 'arn:aws:iam::123456789012:role/tenancy-eks-reader';
  const ADMIN_ROLE = 'arn:aws:iam::123456789012:role/admin';
  const EXACT_ROLE = 'arn:aws:iam::210987654321:role/eks-exact';

  it(`assumes no role for a catalog cluster while ${KEY} is not set`, async () => {
    const { eksTokenProvider, assumeRole } = countingEksTokenProvider();
    const { registry, logger } = catalogRegistry(
      [
        clusterEntity(
          'with-role',
          eksAnnotations({ 'kubernetes.io/aws-assume-role': TENANCY_ROLE }),
        ),
        clusterEntity(
          'with-external-id',
          eksAnnotations({ 'kubernetes.io/aws-external-id': 'ext-1' }),
        ),
        clusterEntity('plain', eksAnnotations()),
      ],
      [],
      { eksTokenProvider },
    );

    expect((await registry.listClusters()).map(c => c.name)).toEqual(['plain']);
    expect(warnings(logger)).toEqual([
      `Ignoring kubernetes-cluster Resource resource:default/with-role: its kubernetes.io/aws-assume-role '${TENANCY_ROLE}' is not allowed by ${KEY}; add the role, or a pattern that matches it, there for the portal to assume it`,
      `Ignoring kubernetes-cluster Resource resource:default/with-external-id: it has a kubernetes.io/aws-external-id but no kubernetes.io/aws-assume-role; an external id is only sent with a role the portal assumes, and ${KEY} lists those`,
    ]);
    await expect(registry.getCluster('with-role')).rejects.toMatchObject({
      name: 'NotAllowedError',
      message: `Cluster 'with-role' from the catalog is refused: kubernetes-cluster Resource resource:default/with-role: its kubernetes.io/aws-assume-role '${TENANCY_ROLE}' is not allowed by ${KEY}; add the role, or a pattern that matches it, there for the portal to assume it`,
    });
    await expect(registry.getCluster('with-external-id')).rejects.toMatchObject(
      {
        name: 'NotAllowedError',
        message: expect.stringContaining(
          'resource:default/with-external-id: it has a kubernetes.io/aws-external-id but no kubernetes.io/aws-assume-role',
        ),
      },
    );

    // A catalog cluster without a role still signs with the backend's own
    // credentials, as before.
    const kc = await registry.kubeConfig(await registry.getCluster('plain'));
    expect(signingKeyOf(kc.getCurrentUser()?.token)).toBe(BACKEND_KEY_ID);
    expect(assumeRole).not.toHaveBeenCalled();
  });

  it('refuses a role not on the list without calling STS, and assumes listed ones as before', async () => {
    const { eksTokenProvider, assumeRole } = countingEksTokenProvider();
    const { registry, logger } = catalogRegistry(
      [
        clusterEntity(
          'by-pattern',
          eksAnnotations({
            'kubernetes.io/aws-assume-role': TENANCY_ROLE,
            'kubernetes.io/aws-external-id': 'ext-1',
          }),
        ),
        clusterEntity(
          'exact',
          eksAnnotations({ 'kubernetes.io/aws-assume-role': EXACT_ROLE }),
        ),
        clusterEntity(
          'admin',
          eksAnnotations({
            'kubernetes.io/aws-assume-role': ADMIN_ROLE,
            'kubernetes.io/aws-external-id': 'ext-1',
          }),
        ),
      ],
      [],
      {
        eksTokenProvider,
        allowedAssumeRoles: [
          'arn:aws:iam::123456789012:role/tenancy-*',
          EXACT_ROLE,
        ],
      },
    );

    expect((await registry.listClusters()).map(c => c.name)).toEqual([
      'by-pattern',
      'exact',
    ]);
    expect(warnings(logger)).toEqual([
      `Ignoring kubernetes-cluster Resource resource:default/admin: its kubernetes.io/aws-assume-role '${ADMIN_ROLE}' is not allowed by ${KEY}; add the role, or a pattern that matches it, there for the portal to assume it`,
    ]);
    await expect(registry.getCluster('admin')).rejects.toMatchObject({
      name: 'NotAllowedError',
    });

    // A cluster object changed after it was read is checked again.
    const byPattern = await registry.getCluster('by-pattern');
    await expect(
      registry.kubeConfig({ ...byPattern, assumeRole: ADMIN_ROLE }),
    ).rejects.toMatchObject({
      name: 'NotAllowedError',
      message: `Cluster 'by-pattern' from the catalog is refused: its kubernetes.io/aws-assume-role '${ADMIN_ROLE}' is not allowed by ${KEY}; add the role, or a pattern that matches it, there for the portal to assume it`,
    });
    await expect(
      registry.kubeConfig({ ...byPattern, assumeRole: undefined }),
    ).rejects.toMatchObject({
      name: 'NotAllowedError',
      message: expect.stringContaining(
        'has a kubernetes.io/aws-external-id but no kubernetes.io/aws-assume-role',
      ),
    });
    expect(assumeRole).not.toHaveBeenCalled();

    const kc = await registry.kubeConfig(byPattern);
    expect(assumeRole).toHaveBeenCalledTimes(1);
    expect(assumeRole.mock.calls[0][0]).toMatchObject({
      roleArn: TENANCY_ROLE,
      externalId: 'ext-1',
    });
    expect(signingKeyOf(kc.getCurrentUser()?.token)).toBe(ASSUMED_KEY_ID);

    await registry.kubeConfig(await registry.getCluster('exact'));
    expect(assumeRole).toHaveBeenCalledTimes(2);
    expect(assumeRole.mock.calls[1][0]).toMatchObject({
      roleArn: EXACT_ROLE,
      externalId: undefined,
    });
  });

  it('trusts the roles of app-config clusters as before, with no list', async () => {
    const { eksTokenProvider, assumeRole } = countingEksTokenProvider();
    const { registry } = catalogRegistry(
      [],
      [
        {
          name: 'cfg',
          url: EKS_URL,
          authProvider: 'aws',
          assumeRole: ADMIN_ROLE,
          externalId: 'ext-cfg',
        },
      ],
      { eksTokenProvider },
    );

    await registry.kubeConfig(await registry.getCluster('cfg'));

    expect(assumeRole).toHaveBeenCalledTimes(1);
    expect(assumeRole.mock.calls[0][0]).toMatchObject({
      roleArn: ADMIN_ROLE,
      externalId: 'ext-cfg',
    });
  });

  it.each([
    ['arn:aws:iam::123456789012:role/tenancy-*', TENANCY_ROLE, true],
    [
      'arn:aws:iam::123456789012:role/tenancy-*',
      'arn:aws:iam::123456789012:role/tenancy-a/b',
      true,
    ],
    [
      'arn:aws:iam::123456789012:role/tenancy-*',
      'arn:aws:iam::123456789012:role/tenancyadmin',
      false,
    ],
    ['arn:aws:iam::123456789012:role/tenancy-*', ADMIN_ROLE, false],
    [
      'arn:aws:iam::123456789012:role/tenancy-*',
      'arn:aws:iam::999999999999:role/tenancy-eks-reader',
      false,
    ],
    [
      'arn:aws:iam::123456789012:role/tenancy-*',
      'arn:aws-cn:iam::123456789012:role/tenancy-eks-reader',
      false,
    ],
    [
      'arn:aws:iam::*:role/eks-reader',
      'arn:aws:iam::999999999999:role/eks-reader',
      true,
    ],
    [
      'arn:aws:iam::*:role/eks-reader',
      'arn:aws:iam::999999999999:role/x/eks-reader',
      false,
    ],
    // * stays within its ARN segment.
    ['arn:aws:iam::*:role/r', 'arn:aws:iam::1:2:role/r', false],
    // Only * is special: a dot is a dot.
    [
      'arn:aws:iam::123456789012:role/a.b',
      'arn:aws:iam::123456789012:role/aXb',
      false,
    ],
    [EXACT_ROLE, EXACT_ROLE, true],
    [EXACT_ROLE, `${EXACT_ROLE}-2`, false],
  ])('pattern %s allows %s: %s', (pattern, role, allowed) => {
    expect(compileRoleAllowList([pattern])(role)).toBe(allowed);
  });

  it.each([
    '*',
    'tenancy-*',
    'arn:aws:iam::123456789012:role',
    'arn:aws:iam::123456789012:user/x',
    'arn:aws:sts::123456789012:assumed-role/x/y',
    'arn:aws:iam::123456789012:role/x y',
  ])('refuses to start with the entry %p', entry => {
    expect(() =>
      DefaultClusterRegistry.fromConfig(
        new ConfigReader({
          tenancy: {
            clusters: { catalog: { allowedAssumeRoles: [EXACT_ROLE, entry] } },
          },
        }),
        { logger: mockServices.logger.mock() },
      ),
    ).toThrow(
      `${KEY}[1] '${entry}' is not an IAM role ARN or a pattern of one, e.g. arn:aws:iam::123456789012:role/tenancy-*`,
    );
  });
});
