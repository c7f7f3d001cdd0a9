import type { Entity } from '@backstage/catalog-model';
import {
  createExtensionTester,
  renderTestApp,
} from '@backstage/frontend-test-utils';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import { screen, within } from '@testing-library/react';
import { tenancyApiRef } from './api';
import {
  clusterAccessEntityCard,
  healthEntityCard,
  healthEntityContent,
  tenancyPlugin,
  tenantEntityContent,
} from './plugin';
import { FakeTenancyApi } from './testing/fakeTenancyApi';
import { component, fleet, group } from './testing/fixtures';

describe('tenancyPlugin', () => {
  it.each([
    'api:tenancy',
    'page:tenancy/fleet',
    'page:tenancy/cluster',
    'page:tenancy/tenant',
    'entity-content:tenancy/tenant',
    'entity-content:tenancy/health',
    'entity-card:tenancy/health',
    'entity-card:tenancy/namespace',
    'entity-card:tenancy/cluster-access',
    'entity-card:tenancy/cluster',
    'home-page-widget:tenancy/my-teams',
    'home-page-widget:tenancy/failing-services',
    'home-page-widget:tenancy/tightest-quota',
    'home-page-widget:tenancy/recent-tasks',
    'home-page-widget:tenancy/create',
  ] as const)('has the extension %s (README)', id => {
    expect(() => tenancyPlugin.getExtension(id)).not.toThrow();
  });

  it.each([
    [
      'shows the Health tab and card on Components with backstage.io/kubernetes-id',
      component('a'),
      true,
    ],
    [
      'shows them on Components with backstage.io/kubernetes-label-selector',
      withAnnotations(component('a'), {
        'backstage.io/kubernetes-label-selector': 'app=a',
      }),
      true,
    ],
    [
      'hides them on Components with neither annotation',
      withAnnotations(component('a'), {}),
      false,
    ],
    ['hides them on Groups', group('team-a'), false],
  ])('%s', (_, entity, shown) => {
    const tab = createExtensionTester(healthEntityContent).get(
      EntityContentBlueprint.dataRefs.filterFunction,
    );
    const card = createExtensionTester(healthEntityCard).get(
      EntityCardBlueprint.dataRefs.filterFunction,
    );
    expect(tab?.(entity)).toBe(shown);
    expect(card?.(entity)).toBe(shown);
  });

  it('puts the Tenancy tab on Groups only', () => {
    const filter = createExtensionTester(tenantEntityContent).get(
      EntityContentBlueprint.dataRefs.filterFunction,
    );
    expect(filter?.(group('team-a'))).toBe(true);
    expect(filter?.(component('a'))).toBe(false);
  });

  it.each([
    ['a kubernetes-namespace Resource', resource('kubernetes-namespace'), true],
    ['a kubernetes-cluster Resource', resource('kubernetes-cluster'), false],
    ['a Group', group('team-a'), false],
    ['a Component', component('a'), false],
  ])('shows the cluster access card on %s', (_, entity, shown) => {
    const filter = createExtensionTester(clusterAccessEntityCard).get(
      EntityCardBlueprint.dataRefs.filterFunction,
    );
    expect(filter?.(entity)).toBe(shown);
  });

  it('serves the fleet page at /tenancy/fleet, its only nav item "Fleet"', async () => {
    renderTestApp({
      features: [tenancyPlugin],
      apis: [[tenancyApiRef, new FakeTenancyApi({ fleet })]],
      initialRouteEntries: ['/tenancy/fleet'],
    });
    // The page is loaded lazily with the whole test app: on a busy 2-core
    // machine its first render takes longer than findByRole's default 1 s.
    expect(
      await screen.findByRole(
        'heading',
        { name: '3 clusters' },
        { timeout: 15_000 },
      ),
    ).toBeInTheDocument();
    const nav = within(screen.getByRole('navigation', { name: 'sidebar nav' }));
    expect(nav.getByRole('link', { name: 'Fleet' })).toHaveAttribute(
      'href',
      '/tenancy/fleet',
    );
    // The cluster and team pages are reached from the fleet and the catalog.
    expect(nav.getAllByRole('link')).toHaveLength(1);
    expect(screen.getByRole('link', { name: 'sandbox-b' })).toHaveAttribute(
      'href',
      '/tenancy/clusters/sandbox-b',
    );
  }, 30_000);
});

function withAnnotations(
  entity: Entity,
  annotations: Record<string, string>,
): Entity {
  return { ...entity, metadata: { ...entity.metadata, annotations } };
}

function resource(type: string): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: { name: 'payments.dev', namespace: 'default' },
    spec: { type, owner: 'group:default/team-payments' },
  };
}
