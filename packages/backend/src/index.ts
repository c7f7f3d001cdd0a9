import { createBackend } from '@backstage/backend-defaults';
import { allPortalFeatures } from './features';

const backend = createBackend();
for (const feature of allPortalFeatures()) {
  backend.add(feature);
}
backend.start();
