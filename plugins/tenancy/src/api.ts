import { createApiRef } from '@backstage/frontend-plugin-api';
import type { TenancyApi } from '@tenancy/plugin-tenancy-common';

/**
 * The Tenancy backend (`/api/tenancy`) as a utility API. The plugin provides
 * it backed by `TenancyClient`; override the `api:tenancy` extension to swap it.
 *
 * @public
 */
export const tenancyApiRef = createApiRef<TenancyApi>({
  id: 'plugin.tenancy.api',
});
