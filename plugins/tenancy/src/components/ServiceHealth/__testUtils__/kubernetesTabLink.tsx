import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { act, screen, waitFor } from '@testing-library/react';
import { tenancyApiRef } from '../../../api';
import { FakeTenancyApi } from '../../../testing/fakeTenancyApi';
import { component, searchIndexerHealth } from '../../../testing/fixtures';
import { EntityHealthContent } from '../EntityHealthContent';

/**
 * Renders the Health tab with only `allowed` of the two permissions
 * Backstage's Kubernetes tab needs (kubernetes.clusters.read,
 * kubernetes.resources.read), waits until the other has been asked and
 * refused, and returns the link to that tab if there is one. Each case runs in a test file
 * of its own: usePermission caches each answer for the page's life (SWR),
 * so a test file that was allowed once stays allowed.
 */
export async function kubernetesTabLinkWithOnly(
  allowed: string,
): Promise<HTMLElement | null> {
  const refused =
    allowed === 'kubernetes.clusters.read'
      ? 'kubernetes.resources.read'
      : 'kubernetes.clusters.read';
  const authorize = jest.fn(
    async (request: { permission: { name: string } }) => ({
      result:
        request.permission.name === allowed
          ? AuthorizeResult.ALLOW
          : AuthorizeResult.DENY,
    }),
  );
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
        mockApis.permission.mock({ authorize }),
      ],
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    },
  );
  expect(await screen.findByText('sandbox-a: Failing')).toBeInTheDocument();
  // Asked, and answered no (not merely still loading).
  await waitFor(() =>
    expect(authorize).toHaveBeenCalledWith(
      expect.objectContaining({
        permission: expect.objectContaining({ name: refused }),
      }),
    ),
  );
  await act(async () => {});
  return screen.queryByRole('link', {
    name: 'Pod-level detail in the Kubernetes tab',
  });
}
