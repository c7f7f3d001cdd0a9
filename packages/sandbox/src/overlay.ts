import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { SANDBOX_ENVIRONMENT_OUS } from './aws/organization';
import { readGitCredentials } from './gitea';
import { TENANT_USERS } from './seedData';
import { repoRoot, stateDir } from './paths';
import type { SandboxState } from './types';

/** The kubectl credential plugin of this checkout (plugins/kube-login). */
const KUBE_LOGIN_BIN = path.join(
  repoRoot,
  'plugins',
  'kube-login',
  'bin',
  'tenancy-kube-login',
);

/**
 * The app-config overlay that points the portal at the sandbox: its clusters
 * for Backstage's Kubernetes plugin (`config` cluster locator, the platform
 * identity's token, each cluster's own CA — TLS is verified), the seeded
 * teams and services in the catalog, the AWS emulator, and Gitea for
 * Backstage's Gitea integration (`publish:gitea`, reading catalog-info.yaml).
 * Git-ignored: it holds the sandbox's tokens.
 */
export function overlayConfig(state: SandboxState) {
  const git = readGitCredentials(stateDir());
  const fromBackend = (file: string) =>
    path.relative(path.join(repoRoot, 'packages', 'backend'), file);
  // Config files replace arrays rather than merge them: repeat the base
  // config's catalog locations so the overlay adds the seed to them.
  const base = YAML.parse(
    fs.readFileSync(path.join(repoRoot, 'app-config.yaml'), 'utf8'),
  );
  const baseLocations: unknown[] = base?.catalog?.locations ?? [];
  const baseRules: unknown[] = base?.catalog?.rules ?? [];
  return {
    integrations: {
      // Merged with the base config's (GitHub for production). The token is
      // the password of basic auth: publish:gitea requires a username too.
      gitea: [
        {
          host: state.git.host,
          baseUrl: state.git.url,
          username: git.user,
          password: git.token,
        },
      ],
    },
    backend: {
      // Reads of this host go through the Gitea integration's URL reader
      // (it is consulted before the plain fetch reader, with the token); the
      // allow entry is what keeps them permitted without that integration.
      reading: { allow: [{ host: state.git.host }] },
    },
    kubernetes: {
      serviceLocatorMethod: { type: 'multiTenant' },
      clusterLocatorMethods: [
        {
          type: 'config',
          clusters: state.clusters.map(cluster => ({
            name: cluster.name,
            url: cluster.url,
            authProvider: 'serviceAccount',
            serviceAccountToken: cluster.identities.platform.token,
            caData: cluster.caData,
            skipTLSVerify: false,
            skipMetricsLookup: true,
          })),
        },
      ],
    },
    catalog: {
      // The base rules, and Templates from the platform team's repositories
      // on this Gitea alone ("New software template" makes them there): the
      // pattern is anchored to the host and the organization, so nobody
      // else's repository can bring a Template in.
      rules: [
        ...baseRules,
        {
          allow: ['Template'],
          locations: [
            { type: 'url', pattern: `${state.git.url}/platform-team/**` },
          ],
        },
      ],
      locations: [
        ...baseLocations,
        {
          type: 'file',
          target: fromBackend(
            path.join(repoRoot, 'packages', 'sandbox', 'catalog', 'seed.yaml'),
          ),
          rules: [
            { allow: ['User', 'Group', 'System', 'Component', 'Resource'] },
          ],
        },
      ],
    },
    auth: {
      // The Backstage CLI's own sign-in (`backstage-cli auth login`, OAuth
      // with PKCE in the browser), which kubectl's credential plugin uses
      // (docs/cluster-access.md). Only the CLI's client: no other.
      clientIdMetadataDocuments: { enabled: true, allowedClientIdPatterns: [] },
      providers: {
        // Sign in as the seed's people by name (GET /api/auth/personas/refresh
        // with the x-tenancy-persona header): alice (team-payments), bob
        // (team-search), carol (team-checkout), pat (platform-team), guest.
        // Sandbox only; refused outside NODE_ENV=development.
        personas: {
          users: [...TENANT_USERS.map(u => u.user), 'pat', 'guest'],
        },
      },
    },
    tenancy: {
      // The local user signs in as guest, an ordinary member of
      // team-payments: the portal as most people see it. The platform
      // team's pages are there for pat (see the personas above).
      platformTeams: ['group:default/platform-team'],
      // kubectl as yourself (issue #18): the portal signs cluster tokens with
      // the sandbox issuer's key; every sandbox cluster trusts that issuer.
      // The credential plugin is this repository's (not yet on npm).
      clusterAccess: {
        issuer: state.clusterAccess.issuer,
        signingKey: fs.readFileSync(
          path.join(stateDir(), 'issuer', 'signing.key'),
          'utf8',
        ),
        command: KUBE_LOGIN_BIN,
        installCommand: `${KUBE_LOGIN_BIN} setup --portal {portal} --team {team}`,
      },
      environments: Object.fromEntries(
        ['dev', 'prod'].map(env => [
          env,
          state.clusters.filter(c => c.environment === env).map(c => c.name),
        ]),
      ),
      // Account vending talks to moto through the fault layer.
      aws: {
        organizations: {
          region: state.aws.region,
          endpoint: state.aws.endpoint,
          // The seeded OUs of each environment's accounts; sandbox has
          // accounts and no clusters.
          environmentOus: { ...SANDBOX_ENVIRONMENT_OUS },
        },
      },
    },
    // Backstage's AWS integration: moto takes any static key. Both values
    // are config secrets, which the portal's logger masks wherever they
    // appear: 'sandbox' would turn every cluster name in the logs into
    // `***-a`.
    aws: {
      mainAccount: {
        accessKeyId: 'moto-static-key-id',
        secretAccessKey: 'moto-static-secret-key',
      },
    },
  };
}

export function writeOverlay(state: SandboxState) {
  const header = [
    '# Written by `yarn sandbox up` — do not edit; it is rewritten on every up.',
    '# Points the portal at the local sandbox. Holds tokens: git-ignored.',
    '',
  ].join('\n');
  fs.writeFileSync(
    state.overlay,
    header + YAML.stringify(overlayConfig(state)),
    { mode: 0o600 },
  );
}
