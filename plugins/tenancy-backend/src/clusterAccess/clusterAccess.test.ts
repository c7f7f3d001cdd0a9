import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { connectSandbox, SandboxFixtures } from '@tenancy/sandbox';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { execFileSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import request from 'supertest';
import YAML from 'yaml';
import { tenancyPlugin } from '../plugin';
import { as, personaServices } from '../service/__testUtils__/personas';
import { ClusterTokenIssuer } from './issuer';
import { readClusterAccessOptions } from './options';

/**
 * The portal's side of "kubectl as yourself": the tokens it signs, the keys
 * it publishes, the kubeconfig it gives. Against the sandbox's clusters and
 * its issuer (the same signing key); the real clusters accepting the tokens
 * is clusterAccess.process.test.ts's (packages/backend).
 */

jest.setTimeout(120_000);

let sandbox: SandboxFixtures;
let overlay: any;
const UNIT_TEAM = `team-unit-${Date.now().toString(36)}`;
/** A team whose name a group of another catalog namespace shares. */
const TWIN_TEAM = `team-twin-${Date.now().toString(36)}`;

/** The catalog's users with the memberOf relations the catalog would compute. */
const users = [
  ['alice', ['team-payments']],
  ['bob', ['team-search']],
  ['pat', ['platform-team']],
  ['nia', []],
  // A group of another catalog namespace with a tenant's name.
  ['olga', ['group:other/team-payments']],
  // A team of this test's own, with a namespace on sandbox-a alone (other
  // tests onboard the seed's teams on more clusters as they run).
  ['quinn', [UNIT_TEAM]],
  // group:default/TWIN_TEAM and group:other/TWIN_TEAM: under the default
  // groupSubjectTemplate ({name}) both teams' RoleBindings bind TWIN_TEAM.
  ['rita', [TWIN_TEAM]],
  ['oscar', [`group:other/${TWIN_TEAM}`]],
].map(([name, groups]) => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: { name: name as string },
  spec: { memberOf: groups },
  relations: (groups as string[]).map(g => ({
    type: 'memberOf',
    targetRef: g.includes(':') ? g : `group:default/${g}`,
  })),
}));

async function backendWith(config: any) {
  const backend = await startTestBackend({
    features: [
      tenancyPlugin,
      mockServices.rootConfig.factory({ data: config }),
      mockServices.httpAuth.factory({
        defaultCredentials: mockCredentials.none(),
      }),
      catalogServiceMock.factory({ entities: users as any }),
      ...personaServices(),
    ],
  });
  return { server: backend.server, stop: () => backend.stop() };
}

let server: any;
let stop: () => Promise<void>;

beforeAll(async () => {
  sandbox = connectSandbox();
  // Before the backend starts: its first fleet snapshot has it.
  await sandbox.createNamespace(sandbox.cluster('sandbox-a'), {
    labels: {
      'tenancy.dev/tenant': UNIT_TEAM,
      'app.kubernetes.io/managed-by': 'tenancy',
    },
  });
  // The twins: both tenants of sandbox-c (namespaces made outside the
  // portal, which refuses group:other/TWIN_TEAM), the default one alone on
  // sandbox-b.
  for (const [cluster, tenant] of [
    ['sandbox-c', TWIN_TEAM],
    ['sandbox-c', `other.${TWIN_TEAM}`],
    ['sandbox-b', TWIN_TEAM],
  ]) {
    await sandbox.createNamespace(sandbox.cluster(cluster), {
      labels: {
        'tenancy.dev/tenant': tenant,
        'app.kubernetes.io/managed-by': 'tenancy',
      },
    });
  }
  overlay = YAML.parse(fs.readFileSync(sandbox.state.overlay, 'utf8'));
  overlay.tenancy.fleet = { refreshIntervalSeconds: 3600 };
  overlay.tenancy.clusterAccess.tokenLifetime = { minutes: 5 };
  ({ server, stop } = await backendWith(overlay));
});

afterAll(async () => {
  await stop?.();
  await sandbox?.cleanup();
});

function getHttps(url: string, ca: string): Promise<any> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca }, res => {
        let body = '';
        res.on('data', c => (body += c));
        res.on('end', () => resolve(JSON.parse(body)));
      })
      .on('error', reject);
  });
}

describe('cluster tokens', () => {
  it('publishes the discovery document and the public key without credentials, as the sandbox issuer does', async () => {
    const discovery = await request(server).get(
      '/api/tenancy/cluster-access/.well-known/openid-configuration',
    );
    expect(discovery.status).toBe(200);
    const { issuer } = sandbox.state.clusterAccess;
    expect(discovery.body).toMatchObject({
      issuer,
      jwks_uri: `${issuer}/jwks`,
      id_token_signing_alg_values_supported: ['ES256'],
    });
    const jwks = await request(server).get('/api/tenancy/cluster-access/jwks');
    expect(jwks.status).toBe(200);
    expect(jwks.body.keys).toHaveLength(1);
    // The public half only.
    expect(jwks.body.keys[0].d).toBeUndefined();
    expect(jwks.body.keys[0]).toMatchObject({
      kty: 'EC',
      crv: 'P-256',
      alg: 'ES256',
    });
    // What the clusters fetch from the sandbox's issuer is the same key,
    // under the same kid.
    expect(
      await getHttps(`${issuer}/jwks`, sandbox.state.clusterAccess.caPem),
    ).toEqual(jwks.body);
  });

  it("signs a person's token for one cluster: their user, their teams from the catalog, at most the lifetime", async () => {
    const res = await request(server)
      .post('/api/tenancy/cluster-access/token')
      .set(as('alice'))
      .send({ cluster: 'sandbox-a' });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatchObject({
      cluster: 'sandbox-a',
      user: 'user:default/alice',
      groups: ['team-payments'],
    });
    const jwks = (await request(server).get('/api/tenancy/cluster-access/jwks'))
      .body;
    const { payload, protectedHeader } = await jwtVerify(
      res.body.token,
      createLocalJWKSet(jwks),
      {
        issuer: sandbox.state.clusterAccess.issuer,
        audience: 'tenancy:sandbox-a',
      },
    );
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload.sub).toBe('user:default/alice');
    expect(payload.groups).toEqual(['team-payments']);
    expect(payload.exp! - payload.iat!).toBe(300);
    expect(new Date(res.body.expirationTimestamp).getTime()).toBe(
      payload.exp! * 1000,
    );
    // Bound to its cluster: not a token for another.
    await expect(
      jwtVerify(res.body.token, createLocalJWKSet(jwks), {
        audience: 'tenancy:sandbox-b',
      }),
    ).rejects.toThrow(/aud/);
  });

  it.each([
    ['nia', 'sandbox-a', [], 'a member of no team'],
    ['pat', 'sandbox-a', [], 'the platform team, no tenant of the cluster'],
    ['olga', 'sandbox-a', [], "another catalog namespace's team-payments"],
    ['quinn', 'sandbox-a', [UNIT_TEAM], 'a team with a namespace there'],
    ['quinn', 'sandbox-b', [], 'a team with no namespace there'],
    ['rita', 'sandbox-b', [TWIN_TEAM], 'the only tenant with that group there'],
    [
      'rita',
      'sandbox-c',
      [],
      "a team whose group another namespace's tenant there shares",
    ],
    ['oscar', 'sandbox-c', [], "the other namespace's twin"],
  ])(
    'gives %s on %s the groups %j (%s): only teams that are tenants of that cluster',
    async (who, cluster, groups) => {
      const res = await request(server)
        .post('/api/tenancy/cluster-access/token')
        .set(as(who))
        .send({ cluster });
      expect(res.status).toBe(200);
      expect(res.body.groups).toEqual(groups);
    },
  );

  it('refuses services, strangers, unknown clusters and bad names before signing anything', async () => {
    const service = await request(server)
      .post('/api/tenancy/cluster-access/token')
      .set({ Authorization: mockCredentials.service.header() })
      .send({ cluster: 'sandbox-a' });
    expect(service.status).toBe(403);
    const anonymous = await request(server)
      .post('/api/tenancy/cluster-access/token')
      .send({ cluster: 'sandbox-a' });
    expect(anonymous.status).toBe(401);
    const stranger = await request(server)
      .post('/api/tenancy/cluster-access/token')
      .set(as('mallory'))
      .send({ cluster: 'sandbox-a' });
    expect(stranger.status).toBe(403);
    expect(stranger.body.error.message).toContain('not in the catalog');
    const unknown = await request(server)
      .post('/api/tenancy/cluster-access/token')
      .set(as('alice'))
      .send({ cluster: 'sandbox-z' });
    expect(unknown.status).toBe(404);
    // Not the registry's message, which lists every cluster there is.
    expect(unknown.body.error.message).toBe(
      "No cluster named 'sandbox-z' to sign in to",
    );
    expect(JSON.stringify(unknown.body)).not.toContain('sandbox-a');
    const bad = await request(server)
      .post('/api/tenancy/cluster-access/token')
      .set(as('alice'))
      .send({ cluster: '../etc' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('Invalid cluster name');
  });
});

describe('kubeconfig', () => {
  it("gives a team's members its namespaces, with no credential but the exec plugin", async () => {
    const res = await request(server)
      .get('/api/tenancy/cluster-access/teams/default/team-payments/kubeconfig')
      .set(as('alice'));
    expect(res.status).toBe(200);
    expect(res.body.configured).toBe(true);
    expect(res.body.fileName).toBe('tenancy-team-payments.yaml');
    const names = res.body.contexts.map((c: any) => c.name);
    expect(names).toContain('sandbox-a/payments');
    expect(names.every((n: string) => /^sandbox-[abc]\//.test(n))).toBe(true);
    const kubeconfig = YAML.parse(res.body.kubeconfig);
    expect(kubeconfig.users.map((u: any) => Object.keys(u.user))).toEqual(
      kubeconfig.users.map(() => ['exec']),
    );
    expect(res.body.kubeconfig).not.toMatch(/token:|PRIVATE KEY|password/i);
    for (const cluster of sandbox.state.clusters) {
      expect(res.body.kubeconfig).not.toContain(
        cluster.identities.platform.token,
      );
    }
    // The kubeconfig is valid for kubectl itself.
    const file = `${fs.mkdtempSync('/tmp/kc-')}/config`;
    fs.writeFileSync(file, res.body.kubeconfig);
    const contexts = execFileSync(require('@tenancy/sandbox').kubectlBinary(), [
      '--kubeconfig',
      file,
      'config',
      'get-contexts',
      '-o',
      'name',
    ])
      .toString()
      .trim()
      .split('\n');
    expect(contexts.sort()).toEqual([...names].sort());
  });

  it('narrows to one namespace on one cluster (the namespace page)', async () => {
    const res = await request(server)
      .get(
        '/api/tenancy/cluster-access/teams/default/team-payments/kubeconfig?cluster=sandbox-a&namespace=payments',
      )
      .set(as('alice'));
    expect(res.status).toBe(200);
    expect(res.body.contexts.map((c: any) => c.name)).toEqual([
      'sandbox-a/payments',
    ]);
    expect(YAML.parse(res.body.kubeconfig).clusters).toHaveLength(1);
    // A namespace on several clusters: each of them, no other.
    const several = await request(server)
      .get(
        '/api/tenancy/cluster-access/teams/default/team-payments/kubeconfig?cluster=sandbox-b&cluster=sandbox-c',
      )
      .set(as('alice'));
    expect(several.status).toBe(200);
    const clusters = new Set(several.body.contexts.map((c: any) => c.cluster));
    expect([...clusters].sort()).toEqual(['sandbox-b', 'sandbox-c']);
    const bad = await request(server)
      .get(
        '/api/tenancy/cluster-access/teams/default/team-payments/kubeconfig?cluster=../x',
      )
      .set(as('alice'));
    expect(bad.status).toBe(400);
  });

  it("refuses another team's kubeconfig; the platform team may read any", async () => {
    const other = await request(server)
      .get('/api/tenancy/cluster-access/teams/default/team-search/kubeconfig')
      .set(as('alice'));
    expect(other.status).toBe(403);
    const platform = await request(server)
      .get('/api/tenancy/cluster-access/teams/default/team-search/kubeconfig')
      .set(as('pat'));
    expect(platform.status).toBe(200);
    expect(platform.body.contexts.length).toBeGreaterThan(0);
  });
});

describe('without tenancy.clusterAccess', () => {
  it('says the portal does not sign people in to clusters, and signs nothing', async () => {
    const { clusterAccess: _, ...tenancy } = overlay.tenancy;
    const plain = await backendWith({ ...overlay, tenancy });
    try {
      const kubeconfig = await request(plain.server)
        .get(
          '/api/tenancy/cluster-access/teams/default/team-payments/kubeconfig',
        )
        .set(as('alice'));
      expect(kubeconfig.status).toBe(200);
      expect(kubeconfig.body).toEqual({
        configured: false,
        message: expect.stringContaining('tenancy.clusterAccess'),
      });
      const token = await request(plain.server)
        .post('/api/tenancy/cluster-access/token')
        .set(as('alice'))
        .send({ cluster: 'sandbox-a' });
      expect(token.status).toBe(404);
      const jwks = await request(plain.server).get(
        '/api/tenancy/cluster-access/jwks',
      );
      expect(jwks.status).toBe(404);
    } finally {
      await plain.stop();
    }
  });
});

describe('tenancy.clusterAccess settings', () => {
  const ecKey = () =>
    execFileSync(
      'openssl',
      ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    ).toString();
  const read = (clusterAccess: object) =>
    readClusterAccessOptions(new ConfigReader({ tenancy: { clusterAccess } }));

  it('refuses what cannot work, without echoing the key', () => {
    const signingKey = ecKey();
    expect(() =>
      read({ issuer: 'http://portal.example.com', signingKey }),
    ).toThrow(/https URL/);
    const weak = execFileSync(
      'openssl',
      ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    ).toString();
    expect(() =>
      read({ issuer: 'https://portal.example.com', signingKey: weak }),
    ).toThrow(/at least 2048 bits/);
    const ed25519 = execFileSync(
      'openssl',
      ['genpkey', '-algorithm', 'ED25519'],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    ).toString();
    expect(() =>
      read({ issuer: 'https://portal.example.com', signingKey: ed25519 }),
    ).toThrow(/not a ed25519 key/);
    const garbage = () =>
      read({ issuer: 'https://portal.example.com', signingKey: 'garbage-key' });
    expect(garbage).toThrow(/PEM private key/);
    expect(garbage).not.toThrow(/garbage-key/);
    expect(() =>
      read({
        issuer: 'https://portal.example.com',
        signingKey,
        tokenLifetime: { hours: 2 },
      }),
    ).toThrow(/5 seconds to 1 hour/);
  });

  it('signs RS256 with an RSA key (what EKS accepts)', async () => {
    const rsa = execFileSync(
      'openssl',
      ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    ).toString();
    const options = read({
      issuer: 'https://portal.example.com',
      signingKey: rsa,
    })!;
    expect(options.algorithm).toBe('RS256');
    const issuer = new ClusterTokenIssuer(options);
    const { token, id } = await issuer.issue({
      user: 'user:default/alice',
      groups: ['team-payments'],
      cluster: 'eks-a',
    });
    const { payload, protectedHeader } = await jwtVerify(
      token,
      createLocalJWKSet(await issuer.jwks()),
      { issuer: 'https://portal.example.com', audience: 'tenancy:eks-a' },
    );
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload.jti).toBe(id);
    expect(
      issuer.discoveryDocument().id_token_signing_alg_values_supported,
    ).toEqual(['RS256']);
  });

  it('rotates the key without cutting off a token: the next key published first, the previous one after', async () => {
    const issuerUrl = 'https://portal.example.com';
    const publicHalf = (pem: string) =>
      createPublicKey(pem).export({ type: 'spki', format: 'pem' }).toString();
    const oldKey = ecKey();
    const newKey = ecKey();
    const signer = (signingKey: string, additionalPublicKeys?: string[]) =>
      new ClusterTokenIssuer(
        read({ issuer: issuerUrl, signingKey, additionalPublicKeys })!,
      );
    const verifyWith = async (issuer: ClusterTokenIssuer, token: string) =>
      jwtVerify(token, createLocalJWKSet(await issuer.jwks()), {
        issuer: issuerUrl,
        audience: 'tenancy:sandbox-a',
      });
    const tokenOf = async (issuer: ClusterTokenIssuer) =>
      (
        await issuer.issue({
          user: 'user:default/alice',
          groups: ['team-payments'],
          cluster: 'sandbox-a',
        })
      ).token;

    const before = signer(oldKey);
    // Step 1, on every replica: still the old key, the new one published.
    const step1 = signer(oldKey, [publicHalf(newKey)]);
    // Step 2, replica by replica: the new key, the old one published.
    const step2 = signer(newKey, [publicHalf(oldKey)]);
    const oldToken = await tokenOf(before);
    const newToken = await tokenOf(step2);
    // Mid-rollout of step 2 a cluster may fetch the keys from a replica of
    // either step: both verify tokens of both keys.
    for (const keys of [step1, step2]) {
      await expect(verifyWith(keys, oldToken)).resolves.toBeTruthy();
      await expect(verifyWith(keys, newToken)).resolves.toBeTruthy();
      expect((await keys.jwks()).keys).toHaveLength(2);
    }
    // Without step 1, a replica still on the old key publishes keys that
    // refuse the new key's tokens; after step 3 (the entry removed), the
    // old key's tokens are refused.
    await expect(verifyWith(before, newToken)).rejects.toThrow();
    await expect(verifyWith(signer(newKey), oldToken)).rejects.toThrow();
    // Each key once, however often it is listed.
    const twice = signer(newKey, [
      publicHalf(oldKey),
      publicHalf(oldKey),
      publicHalf(newKey),
    ]);
    expect((await twice.jwks()).keys).toHaveLength(2);
  });

  it('refuses an additional key that is private, not a key, or too weak, without echoing it', () => {
    const signingKey = ecKey();
    const privateKey = ecKey();
    const attempt = (additionalPublicKeys: string[]) => () =>
      read({
        issuer: 'https://portal.example.com',
        signingKey,
        additionalPublicKeys,
      });
    let message = '';
    try {
      attempt([privateKey])();
    } catch (error) {
      message = String(error);
    }
    expect(message).toMatch(
      /additionalPublicKeys\[0\] is a private key: give only its public half/,
    );
    expect(message).not.toContain('PRIVATE KEY');
    expect(message).not.toContain(privateKey.split('\n')[1]);
    expect(attempt(['not a key'])).toThrow(
      /additionalPublicKeys\[0\] must be a PEM public key/,
    );
    const weak = createPublicKey(
      execFileSync(
        'openssl',
        ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'],
        { stdio: ['ignore', 'pipe', 'ignore'] },
      ).toString(),
    )
      .export({ type: 'spki', format: 'pem' })
      .toString();
    expect(attempt([weak])).toThrow(
      /additionalPublicKeys\[0\] must be an EC P-256 or RSA public key of at least 2048 bits, not an rsa key of 1024 bits/,
    );
  });

  it("names a team of another catalog namespace's file apart from default's", async () => {
    const other = await request(server)
      .get('/api/tenancy/cluster-access/teams/other/team-payments/kubeconfig')
      .set(as('pat'));
    expect(other.status).toBe(200);
    expect(other.body.fileName).toBe('tenancy_other_team-payments.yaml');
    const ours = await request(server)
      .get('/api/tenancy/cluster-access/teams/default/team-payments/kubeconfig')
      .set(as('pat'));
    expect(ours.body.fileName).toBe('tenancy-team-payments.yaml');
  });

  it('defaults to 15-minute tokens and the published credential plugin', () => {
    const options = read({
      issuer: 'https://portal.example.com/api/tenancy/cluster-access/',
      signingKey: ecKey(),
    })!;
    expect(options.issuer).toBe(
      'https://portal.example.com/api/tenancy/cluster-access',
    );
    expect(options.tokenLifetimeMs).toBe(15 * 60 * 1000);
    expect(options.command).toBe('tenancy-kube-login');
    expect(options.installCommand).toContain('@tenancy/kube-login');
  });
});

// The header names the key by its RFC 7638 thumbprint, as the JWKS does,
// and each token has its own id (which the API server's audit log records).
test('names the signing key and the token in each token', async () => {
  const [first, second] = await Promise.all(
    [1, 2].map(() =>
      request(server)
        .post('/api/tenancy/cluster-access/token')
        .set(as('bob'))
        .send({ cluster: 'sandbox-b' }),
    ),
  );
  const jwks = (await request(server).get('/api/tenancy/cluster-access/jwks'))
    .body;
  expect(decodeProtectedHeader(first.body.token).kid).toBe(jwks.keys[0].kid);
  expect(first.body.id).toMatch(/^[0-9a-f-]{36}$/);
  expect(first.body.id).not.toBe(second.body.id);
});
