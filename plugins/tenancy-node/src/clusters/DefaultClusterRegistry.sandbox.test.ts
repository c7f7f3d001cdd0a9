import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  ApiException,
  AuthenticationV1Api,
  VersionApi,
} from '@kubernetes/client-node';
import { connectSandbox, PLATFORM_USER } from '@tenancy/sandbox';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import YAML from 'yaml';
import { DefaultClusterRegistry } from './DefaultClusterRegistry';
import { DefaultEksTokenProvider } from './EksTokenProvider';
import { AwsRoleAssumer, StsRoleAssumer } from './StsRoleAssumer';
import { TenancyCluster } from './types';

/** The running sandbox's portal overlay, as the backend would load it. */
function sandboxRegistry(
  mutate: (overlay: any) => void = () => {},
): DefaultClusterRegistry {
  const overlay = YAML.parse(
    fs.readFileSync(connectSandbox().state.overlay, 'utf8'),
  );
  mutate(overlay);
  return DefaultClusterRegistry.fromConfig(new ConfigReader(overlay), {
    logger: mockServices.logger.mock(),
  });
}

async function whoAmI(
  registry: DefaultClusterRegistry,
  cluster: TenancyCluster,
) {
  const kc = await registry.kubeConfig(cluster);
  const review = await kc
    .makeApiClient(AuthenticationV1Api)
    .createSelfSubjectReview({
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'SelfSubjectReview',
      },
    });
  return review.status?.userInfo?.username;
}

/** The TLS error code under client-node's "fetch failed", if any. */
function tlsFailure(error: unknown): string | undefined {
  return (error as { cause?: { code?: string } })?.cause?.code;
}

async function getVersionError(
  registry: DefaultClusterRegistry,
  cluster: TenancyCluster,
): Promise<unknown> {
  const kc = await registry.kubeConfig(cluster);
  return kc
    .makeApiClient(VersionApi)
    .getCode()
    .then(
      () => undefined,
      e => e,
    );
}

describe('DefaultClusterRegistry.kubeConfig on the sandbox clusters', () => {
  const sandbox = connectSandbox();

  it('reaches all three clusters over verified TLS as the platform identity', async () => {
    const registry = sandboxRegistry();

    const clusters = await registry.listClusters();
    expect(clusters.map(c => c.name)).toEqual([
      'sandbox-a',
      'sandbox-b',
      'sandbox-c',
    ]);
    for (const cluster of clusters) {
      expect(cluster.skipTLSVerify).toBe(false);
      const kc = await registry.kubeConfig(cluster);
      const version = await kc.makeApiClient(VersionApi).getCode();
      expect(version.gitVersion).toBe(sandbox.state.kubernetesVersion);
      // /version is public; this proves the token is the one sent.
      expect(await whoAmI(registry, cluster)).toBe(PLATFORM_USER);
    }
  });

  it('works from a copy of the cluster that lost its non-enumerable token', async () => {
    const registry = sandboxRegistry();
    const cluster = { ...(await registry.getCluster('sandbox-b')) };

    expect(Object.keys(cluster)).not.toContain('serviceAccountToken');
    expect(await whoAmI(registry, cluster)).toBe(PLATFORM_USER);

    // The fallback token is only for the URL it was configured for.
    await expect(
      registry.kubeConfig({ ...cluster, url: 'https://elsewhere.example' }),
    ).rejects.toMatchObject({ name: 'InputError' });
  });

  it("fails TLS when a cluster is configured with another cluster's CA", async () => {
    const registry = sandboxRegistry(overlay => {
      const [a, b] = overlay.kubernetes.clusterLocatorMethods[0].clusters;
      a.caData = b.caData;
    });

    const error = await getVersionError(
      registry,
      await registry.getCluster('sandbox-a'),
    );

    expect(tlsFailure(error)).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    const b = await registry.kubeConfig(await registry.getCluster('sandbox-b'));
    expect((await b.makeApiClient(VersionApi).getCode()).gitVersion).toBe(
      sandbox.state.kubernetesVersion,
    );
  });

  it('skips TLS verification only for app-config clusters that ask for it', async () => {
    const registry = sandboxRegistry(overlay => {
      for (const c of overlay.kubernetes.clusterLocatorMethods[0].clusters) {
        delete c.caData;
      }
      overlay.kubernetes.clusterLocatorMethods[0].clusters[1].skipTLSVerify =
        true;
    });

    const a = await registry.getCluster('sandbox-a');
    expect(tlsFailure(await getVersionError(registry, a))).toBe(
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    );

    const b = await registry.getCluster('sandbox-b');
    expect(await whoAmI(registry, b)).toBe(PLATFORM_USER);

    // A catalog cluster never skips verification, whatever the object says.
    const fromCatalog: TenancyCluster = {
      ...b,
      serviceAccountToken: b.serviceAccountToken,
      source: 'catalog',
      skipTLSVerify: true,
    };
    expect(tlsFailure(await getVersionError(registry, fromCatalog))).toBe(
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    );
  });

  it('is refused by the API server with a token it does not know', async () => {
    const registry = sandboxRegistry(overlay => {
      overlay.kubernetes.clusterLocatorMethods[0].clusters[2].serviceAccountToken =
        'not-a-sandbox-token';
    });

    const error = await whoAmI(
      registry,
      await registry.getCluster('sandbox-c'),
    ).catch(e => e);

    expect(error).toBeInstanceOf(ApiException);
    expect((error as ApiException<unknown>).code).toBe(401);
  });
});

describe("Catalog clusters' roles, assumed at the sandbox's STS (moto)", () => {
  const sandbox = connectSandbox();
  const ALLOWED = 'arn:aws:iam::123456789012:role/tenancy-eks-reader';
  const DENIED = 'arn:aws:iam::123456789012:role/admin';
  const CA_DATA = Buffer.from(
    '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n',
  ).toString('base64');

  const entity = (name: string, role: string) => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: {
      name,
      namespace: 'default',
      annotations: {
        'kubernetes.io/api-server': `https://${name}.gr7.us-east-1.eks.amazonaws.com`,
        'kubernetes.io/api-server-certificate-authority': CA_DATA,
        'kubernetes.io/auth-provider': 'aws',
        'kubernetes.io/aws-assume-role': role,
        'kubernetes.io/aws-external-id': 'ext-1',
      },
    },
    spec: { type: 'kubernetes-cluster', owner: 'group:platform' },
  });

  it('sends AssumeRole to STS only for a role on the allow-list', async () => {
    // Every AssumeRole the registry makes goes through here to moto.
    const sts = new StsRoleAssumer({ endpoint: sandbox.state.aws.endpoint });
    const assumed: string[] = [];
    const roleAssumer: AwsRoleAssumer = {
      assumeRole: request => {
        assumed.push(request.roleArn);
        return sts.assumeRole(request);
      },
    };
    const source = {
      accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`,
      secretAccessKey: 'source-secret-key-value',
    };
    const awsCredentialsManager = {
      getCredentialProvider: async () => ({
        sdkCredentialProvider: async () => source,
      }),
    };
    const config = new ConfigReader({
      kubernetes: { clusterLocatorMethods: [{ type: 'catalog' }] },
      tenancy: {
        clusters: {
          catalog: {
            allowedAssumeRoles: ['arn:aws:iam::123456789012:role/tenancy-*'],
          },
        },
      },
    });
    const registry = DefaultClusterRegistry.fromConfig(config, {
      logger: mockServices.logger.mock(),
      auth: mockServices.auth(),
      catalog: catalogServiceMock({
        entities: [entity('allowed', ALLOWED), entity('denied', DENIED)],
      }),
      eksTokenProvider: DefaultEksTokenProvider.fromConfig(config, {
        awsCredentialsManager,
        roleAssumer,
      }),
    });

    expect((await registry.listClusters()).map(c => c.name)).toEqual([
      'allowed',
    ]);
    await expect(registry.getCluster('denied')).rejects.toMatchObject({
      name: 'NotAllowedError',
    });
    const allowed = await registry.getCluster('allowed');
    await expect(
      registry.kubeConfig({ ...allowed, assumeRole: DENIED }),
    ).rejects.toMatchObject({ name: 'NotAllowedError' });
    expect(assumed).toEqual([]);

    const kc = await registry.kubeConfig(allowed);

    expect(assumed).toEqual([ALLOWED]);
    // Signed with the temporary credentials moto handed out for the role.
    const token = kc.getCurrentUser()!.token!;
    const url = new URL(
      Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString(),
    );
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^ASIA\w+\//);
    expect(url.searchParams.get('X-Amz-Credential')).not.toContain(
      source.accessKeyId,
    );
  });
});
