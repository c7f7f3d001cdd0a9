import { ConfigReader } from '@backstage/config';
import { readBaselineOptions } from './options';
import { renderTenantBaseline, TenantSpec } from './render';

const options = readBaselineOptions(new ConfigReader({}));
const spec: TenantSpec = {
  tenant: { kind: 'group', namespace: 'default', name: 'team-payments' },
  namespace: 'payments-ledger',
  environment: 'dev',
  quota: options.quotaPresets.small,
  podSecurity: 'restricted',
  labels: { 'cost-centre': 'cc-1' },
};

describe('renderTenantBaseline', () => {
  const objects = renderTenantBaseline(spec, options);
  const byName = (kind: string, name: string) =>
    objects.find(o => o.kind === kind && o.metadata?.name === name) as any;

  it('puts every object but the Namespace into the namespace', () => {
    expect(
      objects
        .filter(o => o.kind !== 'Namespace')
        .map(o => o.metadata?.namespace),
    ).toEqual(Array(objects.length - 1).fill('payments-ledger'));
  });

  it('renders the whole baseline, Namespace first, every object owned by the tenant', () => {
    expect(objects.map(o => `${o.kind}/${o.metadata?.name}`)).toEqual([
      'Namespace/payments-ledger',
      'ResourceQuota/tenant-quota',
      'LimitRange/tenant-defaults',
      'NetworkPolicy/default-deny',
      'NetworkPolicy/allow-dns',
      'NetworkPolicy/allow-same-namespace',
      'NetworkPolicy/allow-from-ingress',
      'RoleBinding/tenant-developers',
      'ServiceAccount/deployer',
      'RoleBinding/deployer-deploy',
    ]);
    for (const o of objects) {
      expect(o.metadata?.labels?.['tenancy.dev/tenant']).toBe('team-payments');
      expect(o.metadata?.labels?.['app.kubernetes.io/managed-by']).toBe(
        'tenancy',
      );
      expect(o.metadata?.annotations?.['tenancy.dev/owner']).toBe(
        'group:default/team-payments',
      );
    }
  });

  it('labels the namespace for Pod Security Admission (enforce, warn, audit) and keeps extra labels', () => {
    const labels = byName('Namespace', 'payments-ledger').metadata.labels;
    for (const mode of ['enforce', 'warn', 'audit']) {
      expect(labels[`pod-security.kubernetes.io/${mode}`]).toBe('restricted');
    }
    expect(labels['tenancy.dev/environment']).toBe('dev');
    expect(labels['cost-centre']).toBe('cc-1');
  });

  it('denies all traffic by default and allows only DNS, the namespace itself and the ingress controller', () => {
    expect(byName('NetworkPolicy', 'default-deny').spec).toEqual({
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
    });
    const dns = byName('NetworkPolicy', 'allow-dns').spec.egress[0];
    expect(dns.ports).toEqual([
      { protocol: 'UDP', port: 53 },
      { protocol: 'TCP', port: 53 },
    ]);
    expect(dns.to[0].namespaceSelector.matchLabels).toEqual({
      'kubernetes.io/metadata.name': 'kube-system',
    });
    const ingress = byName('NetworkPolicy', 'allow-from-ingress').spec
      .ingress[0]._from[0];
    expect(ingress.namespaceSelector.matchExpressions[0].values).toEqual([
      'ingress-nginx',
    ]);
    // No allow rule may select every namespace.
    const json = JSON.stringify(objects);
    expect(json).not.toContain('"namespaceSelector":{}');
  });

  it('binds the team with a namespaced RoleBinding to the tenant role, never cluster-admin', () => {
    const binding = byName('RoleBinding', 'tenant-developers');
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'tenancy-tenant-developer',
    });
    expect(binding.subjects).toEqual([
      {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'Group',
        name: 'team-payments',
      },
    ]);
    expect(objects.some(o => o.kind === 'ClusterRoleBinding')).toBe(false);
    expect(JSON.stringify(objects)).not.toContain('cluster-admin');
  });

  it('sets the quota and LimitRange defaults from the preset and config', () => {
    expect(byName('ResourceQuota', 'tenant-quota').spec.hard).toEqual(
      options.quotaPresets.small,
    );
    expect(
      byName('LimitRange', 'tenant-defaults').spec.limits[0],
    ).toMatchObject({
      type: 'Container',
      defaultRequest: { cpu: '100m', memory: '128Mi' },
      _default: { cpu: '500m', memory: '512Mi' },
    });
  });

  it('follows the config: group subject template, roles, ingress namespaces', () => {
    const custom = readBaselineOptions(
      new ConfigReader({
        tenancy: {
          baseline: {
            groupSubjectTemplate: 'oidc:{namespace}/{name}',
            tenantRole: 'edit-lite',
            ingressNamespaces: [],
          },
        },
      }),
    );
    const rendered = renderTenantBaseline(spec, custom);
    const binding = rendered.find(
      o => o.metadata?.name === 'tenant-developers',
    ) as any;
    expect(binding.subjects[0].name).toBe('oidc:default/team-payments');
    expect(binding.roleRef.name).toBe('edit-lite');
    expect(rendered.some(o => o.metadata?.name === 'allow-from-ingress')).toBe(
      false,
    );
  });

  it('refuses cluster-admin as the tenant role at start-up', () => {
    expect(() =>
      readBaselineOptions(
        new ConfigReader({
          tenancy: { baseline: { tenantRole: 'cluster-admin' } },
        }),
      ),
    ).toThrow(/namespaced-scope role/);
  });

  it("never binds a group of another catalog namespace to a default-namespace team's Kubernetes group", () => {
    const other = {
      ...spec,
      tenant: { kind: 'group', namespace: 'other', name: 'team-payments' },
    };
    // With the default template ({name}) it would be "team-payments", the
    // group of group:default/team-payments' RoleBindings: refused.
    expect(() => renderTenantBaseline(other, options)).toThrow(
      /group:other\/team-payments cannot be onboarded.*"team-payments"/,
    );
    // With {namespace} in the template each has a group of its own.
    const subjects = (template: string, s: TenantSpec) =>
      renderTenantBaseline(s, { ...options, groupSubjectTemplate: template })
        .filter(o => o.metadata?.name === 'tenant-developers')
        .map(o => (o as any).subjects[0].name);
    expect(subjects('{namespace}:{name}', other)).toEqual([
      'other:team-payments',
    ]);
    expect(subjects('{namespace}:{name}', spec)).toEqual([
      'default:team-payments',
    ]);
  });
});
