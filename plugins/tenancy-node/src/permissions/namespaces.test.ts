import {
  isTenantMember,
  namespaceMatches,
  tenancyNamespaceConditions,
  tenancyNamespaceRules,
} from './namespaces';

// The rule and the evaluation the router applies to a conditional decision;
// which decision each persona gets is proven on the real portal
// (packages/backend/src/tenantEscape.process.test.ts).
const ruleset = {
  getRuleByName: (name: string) => {
    const rule = Object.values(tenancyNamespaceRules).find(
      r => r.name === name,
    );
    if (!rule) throw new Error(`unknown rule ${name}`);
    return rule;
  },
};

const payments = { name: 'payments', tenant: 'group:default/team-payments' };
const search = { name: 'search', tenant: 'group:default/team-search' };
const unowned = { name: 'kube-public' };

describe('IS_TENANT_MEMBER', () => {
  it('allows the namespaces of the given teams only, never an unowned one', () => {
    const claims = ['user:default/alice', 'group:default/team-payments'];
    expect(isTenantMember.apply(payments, { claims })).toBe(true);
    expect(isTenantMember.apply(search, { claims })).toBe(false);
    expect(isTenantMember.apply(unowned, { claims })).toBe(false);
    expect(isTenantMember.toQuery({ claims })).toEqual({ tenants: claims });
  });

  it('evaluates the conditions a policy returns, with allOf, anyOf and not', () => {
    const member = tenancyNamespaceConditions.isTenantMember({
      claims: ['group:default/team-payments'],
    });
    const other = tenancyNamespaceConditions.isTenantMember({
      claims: ['group:default/team-search'],
    });
    expect(namespaceMatches(member, payments, ruleset)).toBe(true);
    expect(namespaceMatches(member, search, ruleset)).toBe(false);
    expect(namespaceMatches({ anyOf: [member, other] }, search, ruleset)).toBe(
      true,
    );
    expect(
      namespaceMatches({ allOf: [member, other] }, payments, ruleset),
    ).toBe(false);
    expect(namespaceMatches({ not: member }, search, ruleset)).toBe(true);
  });
});
