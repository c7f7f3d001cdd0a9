import { mockCredentials } from '@backstage/backend-test-utils';
import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { TenancyPermissionPolicy } from '@tenancy/plugin-tenancy-node';
import { TENANT_USERS } from '@tenancy/sandbox';

/**
 * The sandbox's personas for the backend's route tests: who is in which
 * team (the sandbox's seed, plus pat on the platform team), the user info
 * the suite's permission policy reads, and that policy deciding every
 * user's request (the backend's own service calls allowed). Access control
 * on the real portal is tenantEscape.process.test.ts's.
 */
const MEMBERSHIP: Record<string, string[]> = {
  ...Object.fromEntries(TENANT_USERS.map(u => [u.user, u.groups])),
  pat: ['platform-team'],
};

export const personaUserInfo = {
  async getUserInfo(credentials: any) {
    const ref: string = credentials.principal.userEntityRef;
    const name = ref.split('/').pop()!;
    return {
      userEntityRef: ref,
      ownershipEntityRefs: [
        ref,
        ...(MEMBERSHIP[name] ?? []).map(g => `group:default/${g}`),
      ],
    };
  },
};

/** The Authorization header of a request as `user:default/<user>`. */
export const as = (user: string) => ({
  Authorization: mockCredentials.user.header(`user:default/${user}`),
});

/** The userInfo and permissions services: personas, and the suite's own policy. */
export function personaServices() {
  const policy = TenancyPermissionPolicy.fromConfig(
    { getOptionalStringArray: () => ['group:default/platform-team'] } as any,
    personaUserInfo,
  );
  const decide = async (r: any, options: any): Promise<any> =>
    options.credentials.principal.type === 'user'
      ? policy.handle(
          { permission: r.permission },
          { credentials: options.credentials, info: {} as any },
        )
      : { result: AuthorizeResult.ALLOW };
  return [
    createServiceFactory({
      service: coreServices.userInfo,
      deps: {},
      factory: () => personaUserInfo,
    }),
    createServiceFactory({
      service: coreServices.permissions,
      deps: {},
      factory: () => ({
        async authorize(reqs: any[], options: any) {
          return Promise.all(reqs.map(r => decide(r, options)));
        },
        async authorizeConditional(reqs: any[], options: any) {
          return Promise.all(reqs.map(r => decide(r, options)));
        },
      }),
    }),
  ];
}
