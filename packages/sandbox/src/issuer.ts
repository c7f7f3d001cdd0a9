import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey } from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import YAML from 'yaml';
import { request, waitFor } from './probe';
import type { UpContext } from './controlPlane';
import { packageRoot } from './paths';
import { createCa, sign } from './pki';

/**
 * The portal as the clusters' identity provider (issue #18), in the sandbox:
 * an EC P-256 key the portal signs cluster tokens with (the overlay's
 * `tenancy.clusterAccess.signingKey`), and an https server — its own CA,
 * as Kubernetes accepts only https issuers — that publishes the issuer's
 * OpenID discovery document and public key, as the portal's
 * `/api/tenancy/cluster-access/…` routes do in production.
 */
export interface IssuerFiles {
  dir: string;
  caCert: string;
  caKey: string;
  tlsCert: string;
  tlsKey: string;
  /** PKCS#8 PEM of the signing key. */
  signingKey: string;
}

function openssl(args: string[], cwd: string, input?: string): string {
  return execFileSync('openssl', args, {
    cwd,
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
  }).toString();
}

/** Creates (once) the issuer's CA, its serving certificate for 127.0.0.1, and the signing key. */
export function ensureIssuerFiles(dir: string): IssuerFiles {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files: IssuerFiles = {
    dir,
    caCert: path.join(dir, 'ca.crt'),
    caKey: path.join(dir, 'ca.key'),
    tlsCert: path.join(dir, 'tls.crt'),
    tlsKey: path.join(dir, 'tls.key'),
    signingKey: path.join(dir, 'signing.key'),
  };
  if (!fs.existsSync(files.caCert) || !fs.existsSync(files.tlsCert)) {
    createCa(dir, 'tenancy-sandbox-issuer-ca');
    sign(
      dir,
      'tls',
      '/CN=tenancy-sandbox-issuer',
      'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n',
    );
  }
  if (!fs.existsSync(files.signingKey)) {
    const ec = openssl(
      ['ecparam', '-name', 'prime256v1', '-genkey', '-noout'],
      dir,
    );
    fs.writeFileSync(
      files.signingKey,
      openssl(['pkcs8', '-topk8', '-nocrypt'], dir, ec),
      { mode: 0o600 },
    );
  }
  for (const file of fs.readdirSync(dir)) {
    if (file.endsWith('.key')) fs.chmodSync(path.join(dir, file), 0o600);
  }
  return files;
}

/** The public key set of a signing key, with its RFC 7638 thumbprint as `kid` (as the portal names it). */
export function jwksOf(signingKeyPem: string) {
  const jwk = createPublicKey(signingKeyPem).export({ format: 'jwk' }) as {
    kty: string;
    crv: string;
    x: string;
    y: string;
  };
  const kid = createHash('sha256')
    .update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }))
    .digest('base64url');
  return {
    keys: [
      {
        kty: jwk.kty,
        crv: jwk.crv,
        x: jwk.x,
        y: jwk.y,
        kid,
        alg: 'ES256',
        use: 'sig',
      },
    ],
  };
}

/** The issuer's discovery document: the same fields the portal's route serves. */
export function discoveryOf(issuer: string) {
  return {
    issuer,
    jwks_uri: `${issuer}/jwks`,
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['ES256'],
    claims_supported: ['sub', 'groups', 'aud', 'exp', 'iat', 'iss', 'jti'],
  };
}

/**
 * A cluster's structured authentication configuration
 * (`--authentication-config`): tokens of the portal's issuer for this
 * cluster's audience; the Kubernetes user is the token's subject (the
 * Backstage user ref, `user:default/alice`) and the groups its `groups`
 * (the person's teams), never a `system:` group or user. The same file
 * works on any self-managed cluster (docs/cluster-access.md).
 */
export function authenticationConfig(options: {
  issuer: string;
  audience: string;
  caPem: string;
}) {
  return {
    apiVersion: 'apiserver.config.k8s.io/v1',
    kind: 'AuthenticationConfiguration',
    jwt: [
      {
        issuer: {
          url: options.issuer,
          audiences: [options.audience],
          audienceMatchPolicy: 'MatchAny',
          certificateAuthority: options.caPem,
        },
        claimValidationRules: [
          {
            expression: "claims.sub.startsWith('user:')",
            message:
              'the subject must be a Backstage user (user:<namespace>/<name>)',
          },
          {
            // However the portal is configured: never a token for over an hour.
            expression: 'double(claims.exp) - double(claims.iat) <= 3600.0',
            message: 'a portal token lasts at most an hour',
          },
        ],
        claimMappings: {
          username: { expression: 'claims.sub' },
          groups: {
            expression:
              "has(claims.groups) ? dyn(claims.groups).filter(g, !g.startsWith('system:')) : []",
          },
          uid: { expression: 'claims.sub' },
        },
        userValidationRules: [
          {
            expression: "!user.username.startsWith('system:')",
            message: 'a portal token cannot name a system: user',
          },
        ],
      },
    ],
  };
}

/**
 * What the API servers write to their audit log: every request of a person
 * or a portal identity at Metadata level (who, what, where, the answer);
 * nothing of the control plane's own components, which would bury them.
 */
export const AUDIT_POLICY = {
  apiVersion: 'audit.k8s.io/v1',
  kind: 'Policy',
  omitStages: ['RequestReceived'],
  rules: [
    {
      level: 'None',
      userGroups: ['system:nodes', 'system:serviceaccounts', 'system:masters'],
    },
    {
      level: 'None',
      users: [
        'system:kube-controller-manager',
        'system:kube-scheduler',
        'system:apiserver',
        'system:anonymous',
      ],
    },
    {
      level: 'None',
      nonResourceURLs: ['/readyz*', '/livez*', '/healthz*', '/version'],
    },
    { level: 'Metadata' },
  ],
};

/** Writes each cluster's authentication configuration and the audit policy; returns the files. */
export function writeClusterAuthFiles(
  clusterDir: string,
  cluster: string,
  issuer: { url: string; caPem: string },
) {
  const authConfig = path.join(clusterDir, 'authentication-config.yaml');
  fs.writeFileSync(
    authConfig,
    YAML.stringify(
      authenticationConfig({
        issuer: issuer.url,
        audience: `tenancy:${cluster}`,
        caPem: issuer.caPem,
      }),
    ),
  );
  const auditPolicy = path.join(clusterDir, 'audit-policy.yaml');
  fs.writeFileSync(auditPolicy, YAML.stringify(AUDIT_POLICY));
  return {
    authConfig,
    auditPolicy,
    auditLog: path.join(clusterDir, 'audit.log'),
  };
}

/** The issuer's https server (in its own process: bin/sandbox-issuer). */
export function startIssuerServer(options: {
  port: number;
  files: IssuerFiles;
}): Promise<https.Server> {
  const issuer = `https://127.0.0.1:${options.port}`;
  const discovery = JSON.stringify(discoveryOf(issuer));
  const jwks = JSON.stringify(
    jwksOf(fs.readFileSync(options.files.signingKey, 'utf8')),
  );
  const server = https.createServer(
    {
      cert: fs.readFileSync(options.files.tlsCert),
      key: fs.readFileSync(options.files.tlsKey),
    },
    (req, res) => {
      const routes: Record<string, string> = {
        '/.well-known/openid-configuration': discovery,
        '/jwks': jwks,
      };
      const body = req.method === 'GET' ? routes[req.url ?? ''] : undefined;
      res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
      res.end(body ?? '{"error":"not found"}');
    },
  );
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve(server));
  });
}

export async function main(argv: string[]) {
  const options = JSON.parse(argv[2]) as { port: number; dir: string };
  const server = await startIssuerServer({
    port: options.port,
    files: ensureIssuerFiles(options.dir),
  });
  process.stdout.write(
    `${new Date().toISOString()} issuer on https://127.0.0.1:${options.port}\n`,
  );
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** Starts the issuer's server if needed, before the API servers (they fetch its keys when they start). */
export async function ensureIssuer(ctx: UpContext): Promise<{
  url: string;
  caPem: string;
  files: IssuerFiles;
}> {
  const dir = path.join(ctx.dir, 'issuer');
  const files = ensureIssuerFiles(dir);
  const url = `https://127.0.0.1:${ctx.ports.issuer}`;
  const caPem = fs.readFileSync(files.caCert, 'utf8');
  if (!ctx.supervisor.isRunning('issuer')) {
    ctx.supervisor.start({
      name: 'issuer',
      command: process.execPath,
      args: [
        path.join(packageRoot, 'bin', 'sandbox-issuer'),
        JSON.stringify({ port: ctx.ports.issuer, dir }),
      ],
    });
  }
  await waitFor(
    'the cluster token issuer',
    async () => (await request(`${url}/jwks`, { ca: caPem })).status === 200,
    30_000,
    () => ctx.supervisor.tail('issuer'),
  );
  return { url, caPem, files };
}
