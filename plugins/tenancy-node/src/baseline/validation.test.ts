import {
  parseTenantRef,
  platformOnlyInputs,
  validateLabels,
  validateNamespaceName,
  validateQuantity,
  validateQuota,
} from './validation';

describe('validateNamespaceName', () => {
  it.each([
    ['', /must not be empty/],
    ['Payments', /lowercase/],
    ['pay_ments', /lowercase/],
    ['pay.ments', /lowercase/],
    ['-payments', /starting and ending/],
    ['payments-', /starting and ending/],
    ['a'.repeat(64), /64 characters long; at most 63/],
    ['zahlungsverkehr-ü', /lowercase/],
    ['kube-payments', /reserved/],
    ['default', /reserved/],
    ['kube-system', /reserved/],
    ['kube-public', /reserved/],
    ['kube-node-lease', /reserved/],
  ])('refuses %j', (name, message) => {
    expect(() => validateNamespaceName(name)).toThrow(message);
  });

  it('accepts a DNS label of up to 63 characters', () => {
    expect(validateNamespaceName('payments-ledger-2')).toBe(
      'payments-ledger-2',
    );
    expect(validateNamespaceName('a'.repeat(63))).toBe('a'.repeat(63));
  });
});

describe('quantities and quotas', () => {
  it.each(['10 cores', '-1Gi', '1.5.2', 'Gi', '', 'ten', '1GB', '0x10'])(
    'refuses %j',
    q => {
      expect(() => validateQuantity(q, 'Quota requests.cpu')).toThrow(
        /not a Kubernetes quantity/,
      );
    },
  );

  it.each(['500m', '2', '0.5', '512Mi', '4Gi', '1e3', '1k'])(
    'accepts %j',
    q => {
      expect(validateQuantity(q, 'x')).toBe(q);
    },
  );

  it('refuses unknown quota resources and fractional counts', () => {
    expect(() => validateQuota({ 'requests.cpuz': '1' })).toThrow(
      /not one a ResourceQuota limits/,
    );
    expect(() => validateQuota({ pods: '1.5' })).toThrow(
      /must be a whole number/,
    );
    expect(() => validateQuota({ 'limits.memory': '-1Gi' })).toThrow(
      /not a Kubernetes quantity/,
    );
    expect(validateQuota({ pods: '40', 'requests.memory': '8Gi' })).toEqual({
      pods: '40',
      'requests.memory': '8Gi',
    });
  });
});

describe('parseTenantRef', () => {
  it('accepts group refs and short names', () => {
    expect(parseTenantRef('group:default/team-a')).toEqual({
      kind: 'group',
      namespace: 'default',
      name: 'team-a',
    });
    expect(parseTenantRef('team-a')).toEqual({
      kind: 'group',
      namespace: 'default',
      name: 'team-a',
    });
  });

  it.each([
    ['user:default/alice', /must be a Group/],
    ['', /must be a group entity ref/],
    ['group:default/Team_A', /label value/],
  ])('refuses %j', (ref, message) => {
    expect(() => parseTenantRef(ref)).toThrow(message);
  });
});

describe('validateLabels', () => {
  it('refuses labels the baseline sets and malformed keys or values', () => {
    expect(() => validateLabels({ 'tenancy.dev/tenant': 'x' })).toThrow(
      /cannot be overridden/,
    );
    expect(() =>
      validateLabels({ 'pod-security.kubernetes.io/enforce': 'privileged' }),
    ).toThrow(/cannot be overridden/);
    expect(() => validateLabels({ 'bad key': 'x' })).toThrow(
      /not a valid Kubernetes label key/,
    );
    expect(() => validateLabels({ team: '<img src=x>' })).toThrow(
      /is not valid/,
    );
    expect(validateLabels({ 'example.com/cost-centre': 'cc-1' })).toEqual({
      'example.com/cost-centre': 'cc-1',
    });
  });
});

describe('platformOnlyInputs (S38)', () => {
  const preset = { pods: '20', 'requests.cpu': '2', 'limits.memory': '8Gi' };
  const within = {
    podSecurity: 'baseline' as const,
    defaultPodSecurity: 'baseline' as const,
    preset,
    quota: preset,
  };

  it("finds nothing in a request within the team's limits, stricter ones included", () => {
    expect(platformOnlyInputs(within)).toEqual([]);
    expect(
      platformOnlyInputs({
        ...within,
        podSecurity: 'restricted',
        // Lower than the preset, and a resource the preset does not limit.
        quota: {
          ...preset,
          pods: '10',
          'limits.memory': '4096Mi',
          'count/jobs.batch': '5',
        },
      }),
    ).toEqual([]);
  });

  it('names each thing only the platform team may ask for', () => {
    expect(
      platformOnlyInputs({
        ...within,
        podSecurity: 'privileged',
        quota: {
          ...preset,
          pods: '21',
          'requests.cpu': '2500m',
          'limits.memory': '8Gi',
        },
        clusters: ['sandbox-b'],
      }),
    ).toEqual([
      'set Pod Security "privileged" (weaker than the platform\'s "baseline")',
      'raise the quota above its preset (pods 21 > 20, requests.cpu 2500m > 2)',
      'choose clusters by name (teams onboard to an environment)',
    ]);
  });
});
