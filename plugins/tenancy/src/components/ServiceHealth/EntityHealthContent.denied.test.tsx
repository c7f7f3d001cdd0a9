import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { act, screen, waitFor } from '@testing-library/react';
import { tenancyApiRef } from '../../api';
import { FakeTenancyApi } from '../../testing/fakeTenancyApi';
import { component, searchIndexerHealth } from '../../testing/fixtures';
import { EntityHealthContent } from './EntityHealthContent';

// A file of its own: usePermission caches each answer for the page's life
// (SWR), so a test file that was allowed once stays allowed.
it("offers no link to Backstage's Kubernetes tab to whoever may not use it", async () => {
  // The shipped policy: clusters may be listed, resources may not be read.
  const authorize = jest.fn(
    async (request: { permission: { name: string } }) => ({
      result:
        request.permission.name === 'kubernetes.clusters.read'
          ? AuthorizeResult.ALLOW
          : AuthorizeResult.DENY,
    }),
  );
  const permission = mockApis.permission.mock({ authorize });
  await renderInTestApp(
    <EntityProvider entity={component('search-indexer')}>
      <EntityHealthContent />
    </EntityProvider>,
    {
      apis: [
        [
          tenancyApiRef,
          new FakeTenancyApi({
            entityHealth: {
              'component:default/search-indexer': searchIndexerHealth,
            },
          }),
        ],
        permission,
      ],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    },
  );
  expect(await screen.findByText('sandbox-a: Failing')).toBeInTheDocument();
  // Asked, and answered no (not merely still loading).
  await waitFor(() =>
    expect(authorize).toHaveBeenCalledWith(
      expect.objectContaining({
        permission: expect.objectContaining({
          name: 'kubernetes.resources.read',
        }),
      }),
    ),
  );
  await act(async () => {});
  expect(
    screen.queryByRole('link', {
      name: 'Pod-level detail in the Kubernetes tab',
    }),
  ).not.toBeInTheDocument();
});
