import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  tenancyFleetReadPermission,
  tenancyNamespaceOnboardPermission,
  tenancyNamespaceOverridePermission,
  tenancyPlatformAdminPermission,
} from '@tenancy/plugin-tenancy-common';
import { TenancyPermissionPolicy } from './policy';

const userInfo = {
  async getUserInfo(credentials: any) {
    const ref = credentials.principal.userEntityRef;
    const teams: Record<string, string[]> = {
      'user:default/pat': ['group:default/platform-team'],
      'user:default/alice': ['group:default/team-payments'],
    };
    return {
      userEntityRef: ref,
      ownershipEntityRefs: [ref, ...(teams[ref] ?? [])],
    };
  },
};

function decide(permission: any, user?: string) {
  const policy = TenancyPermissionPolicy.fromConfig(
    new ConfigReader({}),
    userInfo,
  );
  return policy.handle(
    { permission },
    user
      ? {
          credentials: mockCredentials.user(user),
          info: { userEntityRef: user, ownershipEntityRefs: [] },
        }
      : undefined,
  );
}

describe('TenancyPermissionPolicy', () => {
  it('lets only members of the platform teams act as the platform team', async () => {
    expect(
      (await decide(tenancyPlatformAdminPermission, 'user:default/pat')).result,
    ).toBe(AuthorizeResult.ALLOW);
    expect(
      (await decide(tenancyPlatformAdminPermission, 'user:default/alice'))
        .result,
    ).toBe(AuthorizeResult.DENY);
    expect((await decide(tenancyPlatformAdminPermission)).result).toBe(
      AuthorizeResult.DENY,
    );
  });

  it('shows the fleet to the platform team only', async () => {
    expect(
      (await decide(tenancyFleetReadPermission, 'user:default/pat')).result,
    ).toBe(AuthorizeResult.ALLOW);
    expect(
      (await decide(tenancyFleetReadPermission, 'user:default/alice')).result,
    ).toBe(AuthorizeResult.DENY);
  });

  it('keeps the onboarding overrides (privileged, more quota, named clusters) for the platform team', async () => {
    expect(
      (await decide(tenancyNamespaceOverridePermission, 'user:default/pat'))
        .result,
    ).toBe(AuthorizeResult.ALLOW);
    expect(
      (await decide(tenancyNamespaceOverridePermission, 'user:default/alice'))
        .result,
    ).toBe(AuthorizeResult.DENY);
  });

  it('allows everything else', async () => {
    expect(
      (await decide(tenancyNamespaceOnboardPermission, 'user:default/alice'))
        .result,
    ).toBe(AuthorizeResult.ALLOW);
  });

  it('reads the platform teams from config', async () => {
    const policy = TenancyPermissionPolicy.fromConfig(
      new ConfigReader({
        tenancy: { platformTeams: ['group:default/team-payments'] },
      }),
      mockServices.userInfo({
        ownershipEntityRefs: ['group:default/team-payments'],
      }),
    );
    const decision = await policy.handle(
      { permission: tenancyPlatformAdminPermission },
      {
        credentials: mockCredentials.user('user:default/alice'),
        info: { userEntityRef: 'user:default/alice', ownershipEntityRefs: [] },
      },
    );
    expect(decision.result).toBe(AuthorizeResult.ALLOW);
  });
});
