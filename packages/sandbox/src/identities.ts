import fs from 'node:fs';
import path from 'node:path';
import { PLATFORM_GROUP, PLATFORM_USER } from '@tenancy/plugin-tenancy-node';
import { newToken } from './pki';
import { TENANT_USERS } from './seedData';
import type { SandboxIdentity } from './types';

/** Identities are made once per sandbox and kept, like a cluster's users. */
export function ensureIdentities(dir: string): Record<string, SandboxIdentity> {
  const file = path.join(dir, 'identities.json');
  if (fs.existsSync(file)) {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  }
  const identities: Record<string, SandboxIdentity> = {
    admin: {
      user: 'sandbox-admin',
      groups: ['system:masters'],
      token: newToken(),
    },
    platform: {
      user: PLATFORM_USER,
      groups: [PLATFORM_GROUP],
      token: newToken(),
    },
    'controller-manager': {
      user: 'system:kube-controller-manager',
      groups: [],
      token: newToken(),
    },
    scheduler: { user: 'system:kube-scheduler', groups: [], token: newToken() },
    // kwok writes node and pod status for simulated kubelets.
    kwok: {
      user: 'kwok-controller',
      groups: ['system:masters'],
      token: newToken(),
    },
  };
  for (const tenant of TENANT_USERS) {
    identities[tenant.user] = {
      user: tenant.user,
      groups: tenant.groups,
      token: newToken(),
    };
  }
  fs.writeFileSync(file, JSON.stringify(identities, null, 2), { mode: 0o600 });
  return identities;
}

/** kube-apiserver's `--token-auth-file`: one line per identity. */
export function tokenFile(identities: Record<string, SandboxIdentity>): string {
  return Object.values(identities)
    .map(i => `${i.token},${i.user},${i.user},"${i.groups.join(',')}"`)
    .join('\n')
    .concat('\n');
}
