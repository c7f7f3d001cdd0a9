import { CatalogClient } from '@backstage/catalog-client';
import { isError, ResponseError } from '@backstage/errors';
import {
  ApiBlueprint,
  createFrontendModule,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import { catalogApiRef } from '@backstage/plugin-catalog-react';

/**
 * `error` with the server's own message when it is a `ResponseError` (whose
 * message is only "Request failed with 403 Forbidden") for a JSON error
 * answer, so that pages which show an error's message say why. Any other
 * answer (a proxy's HTML page) keeps the short message.
 */
export function withServerMessage(error: unknown): unknown {
  if (!isError(error) || error.name !== 'ResponseError') return error;
  const { body, response } = error as unknown as ResponseError;
  const json = response?.headers
    ?.get('content-type')
    ?.includes('application/json');
  const message = body?.error?.message;
  if (json && message) error.message = message;
  return error;
}

/**
 * The catalog's client, except that a refused registration says why: the
 * "Register existing component" page shows an error's message, and
 * Tenancy's catalog module explains in the answer's body which entities of
 * the file name another team (or what the catalog could not read).
 */
export class ExplainingCatalogClient extends CatalogClient {
  async addLocation(
    ...args: Parameters<CatalogClient['addLocation']>
  ): ReturnType<CatalogClient['addLocation']> {
    try {
      return await super.addLocation(...args);
    } catch (error) {
      throw withServerMessage(error);
    }
  }
}

/** Replaces the catalog plugin's `api:catalog` with {@link ExplainingCatalogClient}. */
export const catalogApiModule = createFrontendModule({
  pluginId: 'catalog',
  extensions: [
    ApiBlueprint.make({
      params: defineParams =>
        defineParams({
          api: catalogApiRef,
          deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
          factory: ({ discoveryApi, fetchApi }) =>
            new ExplainingCatalogClient({ discoveryApi, fetchApi }),
        }),
    }),
  ],
});
