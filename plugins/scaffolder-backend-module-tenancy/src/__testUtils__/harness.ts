import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import {
  BackstageCredentials,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { ConfigReader } from '@backstage/config';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { JsonObject } from '@backstage/types';
import { KubeConfig } from '@kubernetes/client-node';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import {
  connectSandbox,
  SandboxFixtures,
  TENANT_USERS,
} from '@tenancy/sandbox';
import {
  ClusterRegistry,
  DefaultClusterRegistry,
  TenancyCluster,
} from '@tenancy/plugin-tenancy-node';
import fs from 'node:fs';
import YAML from 'yaml';

/**
 * The portal's config on the running sandbox (its overlay), plus a cluster
 * whose endpoint accepts TCP and never answers, and a short per-cluster
 * per-cluster timeout: generous by default (a loaded CI machine can make a
 * healthy API server slow), short where a test waits out a black hole.
 */
export function sandboxConfig(sandbox: SandboxFixtures, timeoutMs = 30_000) {
  const overlay = YAML.parse(fs.readFileSync(sandbox.state.overlay, 'utf8'));
  const a = sandbox.cluster('sandbox-a');
  overlay.kubernetes.clusterLocatorMethods[0].clusters.push({
    name: 'sandbox-blackhole',
    url: sandbox.state.endpoints.blackhole,
    authProvider: 'serviceAccount',
    serviceAccountToken: a.identities.platform.token,
    caData: a.caData,
  });
  overlay.tenancy.clusterTimeoutMs = timeoutMs;
  return new ConfigReader(overlay);
}

/** A registry that counts how often it handed out credentials: zero means no cluster was called. */
export class CountingRegistry implements ClusterRegistry {
  calls = 0;
  constructor(private readonly inner: ClusterRegistry) {}
  listClusters() {
    return this.inner.listClusters();
  }
  getCluster(name: string) {
    return this.inner.getCluster(name);
  }
  kubeConfig(cluster: TenancyCluster): Promise<KubeConfig> {
    this.calls++;
    return this.inner.kubeConfig(cluster);
  }
}

/**
 * Permission decisions as a real policy would give them: `allowed` lists the
 * permission names the initiator holds. (The permission backend itself is
 * exercised in the backend's integration tests; here the action's reaction
 * to each decision is what is under test.)
 */
export function permissionsAllowing(allowed: string[]): PermissionsService {
  const permissions = mockServices.permissions.mock();
  permissions.authorize.mockImplementation(async requests =>
    requests.map(r => ({
      result: allowed.includes(r.permission.name)
        ? AuthorizeResult.ALLOW
        : AuthorizeResult.DENY,
    })),
  );
  return permissions;
}

/**
 * Who is in which team, as the catalog's seed (packages/sandbox) says: what
 * Backstage's user info would return for the sandbox's users.
 */
export function seedUserInfo(): UserInfoService {
  return {
    async getUserInfo(credentials: BackstageCredentials) {
      const ref = (credentials.principal as { userEntityRef: string })
        .userEntityRef;
      const name = ref.split('/').pop();
      const groups = TENANT_USERS.find(u => u.user === name)?.groups ?? [];
      return {
        userEntityRef: ref,
        ownershipEntityRefs: [ref, ...groups.map(g => `group:default/${g}`)],
      };
    },
  };
}

export interface Harness {
  sandbox: SandboxFixtures;
  registry: CountingRegistry;
  config: ConfigReader;
  auditor: ReturnType<typeof mockServices.auditor.mock>;
}

export function createHarness(timeoutMs?: number): Harness {
  const sandbox = connectSandbox();
  const config = sandboxConfig(sandbox, timeoutMs);
  const registry = new CountingRegistry(
    DefaultClusterRegistry.fromConfig(config, {
      logger: mockServices.logger.mock(),
    }),
  );
  return { sandbox, registry, config, auditor: mockServices.auditor.mock() };
}

/** Everything the task log received, to check no secret ever reaches it. */
export function capturingContext<T extends JsonObject>(
  input: T,
  options: { isDryRun?: boolean; credentials?: BackstageCredentials } = {},
) {
  const lines: string[] = [];
  const logger = mockServices.logger.mock();
  for (const level of ['info', 'warn', 'error', 'debug'] as const) {
    logger[level].mockImplementation((message: string) => {
      lines.push(message);
    });
  }
  const outputs: Record<string, unknown> = {};
  // createMockActionContext keeps only some of the fields it is given; the
  // rest are set on the context it returns.
  const ctx = {
    ...createMockActionContext<T>({ input, logger }),
    isDryRun: options.isDryRun,
    output: (name: string, value: unknown) => {
      outputs[name] = value;
    },
    getInitiatorCredentials: async () =>
      options.credentials ?? mockCredentials.user('user:default/alice'),
  };
  return { ctx, lines, outputs };
}
