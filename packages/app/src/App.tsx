import { createApp } from '@backstage/frontend-defaults';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import { tenancyKubernetesTabModule } from '@tenancy/plugin-tenancy';
import { catalogApiModule } from './modules/catalogApi';
import { navModule } from './modules/nav';

export default createApp({
  // The catalog's client says why a registration was refused; the
  // Kubernetes tab only for whoever may use it (Tenancy's policy keeps
  // kubernetes.resources.read to the platform team).
  features: [
    catalogPlugin,
    catalogApiModule,
    navModule,
    tenancyKubernetesTabModule,
  ],
});
