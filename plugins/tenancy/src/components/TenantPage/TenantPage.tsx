import { Content, ContentHeader } from '@backstage/core-components';
import { useRouteRefParams } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { tenantRouteRef } from '../../routes';
import { TenantView } from './TenantView';

/** The "Tenancy" tab of a Group entity. */
export function TenantEntityContent() {
  const { entity } = useEntity();
  return <TenantView groupRef={stringifyEntityRef(entity)} />;
}

/** A team's tenancy on its own page (`/tenancy/tenants/:namespace/:name`). */
export function TenantPage() {
  const { namespace, name } = useRouteRefParams(tenantRouteRef);
  const groupRef = `group:${namespace}/${name}`;
  return (
    <Content>
      <ContentHeader title={`Team ${name}`} />
      <TenantView groupRef={groupRef} />
    </Content>
  );
}
