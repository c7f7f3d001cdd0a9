import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { TenancyPermissionPolicy } from '@tenancy/plugin-tenancy-node';

/** Installs the suite's permission policy (see TenancyPermissionPolicy). */
export const permissionModuleTenancyPolicy = createBackendModule({
  pluginId: 'permission',
  moduleId: 'tenancy-policy',
  register(reg) {
    reg.registerInit({
      deps: {
        policy: policyExtensionPoint,
        config: coreServices.rootConfig,
        userInfo: coreServices.userInfo,
      },
      async init({ policy, config, userInfo }) {
        policy.setPolicy(TenancyPermissionPolicy.fromConfig(config, userInfo));
      },
    });
  },
});
