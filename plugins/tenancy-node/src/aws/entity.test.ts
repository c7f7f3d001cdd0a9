import { AccountFacts, accountToEntity } from './entity';

const facts = (overrides: Partial<AccountFacts> = {}): AccountFacts => ({
  id: '222222222222',
  arn: 'arn:aws:organizations::111111111111:account/o-abc123/222222222222',
  name: 'payments-dev',
  state: 'ACTIVE',
  tags: {
    tenant: 'group:default/team-payments',
    environment: 'dev',
    'cost-centre': 'CC-1042',
  },
  ...overrides,
});

describe('accountToEntity', () => {
  it.each([
    ['ACTIVE', 'active'],
    ['PENDING_CLOSURE', 'pending_closure'],
    ['SUSPENDED', 'suspended'],
  ])(
    'lists a %s account with its state as the status label',
    (state, label) => {
      const entity = accountToEntity(facts({ state }), 'key');
      expect(entity?.metadata.labels).toEqual({
        'amazonaws.com/account-status': label,
      });
      expect(entity?.spec?.owner).toBe('group:default/team-payments');
    },
  );

  it.each(['CLOSED', 'PENDING_ACTIVATION', 'UNKNOWN'])(
    'leaves a %s account out',
    state => {
      expect(accountToEntity(facts({ state }), 'key')).toBeUndefined();
    },
  );

  it('annotates the OU, environment and cost centre it knows, and only those', () => {
    expect(
      accountToEntity(facts({ organizationalUnit: 'Dev' }), 'key')?.metadata
        .annotations,
    ).toEqual(
      expect.objectContaining({
        'tenancy.dev/organizational-unit': 'Dev',
        'tenancy.dev/environment': 'dev',
        'tenancy.dev/cost-centre': 'CC-1042',
      }),
    );
    const bare = accountToEntity(
      facts({ tags: { tenant: 'group:default/team-payments' } }),
      'key',
    )?.metadata.annotations;
    expect(
      Object.keys(bare ?? {}).filter(k => k.startsWith('tenancy.dev/')),
    ).toEqual([]);
  });
});
