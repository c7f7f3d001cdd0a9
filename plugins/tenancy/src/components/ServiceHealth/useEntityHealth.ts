import { useApi } from '@backstage/frontend-plugin-api';
import { useCallback } from 'react';
import { tenancyApiRef } from '../../api';
import { useAutoRefresh } from '../shared';

/** An entity's health, reloaded every 30 s. */
export function useEntityHealth(entityRef: string) {
  const api = useApi(tenancyApiRef);
  const load = useCallback(
    () => api.getEntityHealth(entityRef),
    [api, entityRef],
  );
  return useAutoRefresh(load, `entity-health:${entityRef}`);
}
