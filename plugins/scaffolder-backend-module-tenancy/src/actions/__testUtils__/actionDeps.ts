import { mockServices } from '@backstage/backend-test-utils';
import { permissionsAllowing, seedUserInfo } from '@tenancy/test-utils';
import { Harness } from '../../__testUtils__/harness';

/**
 * What the namespace actions need, on the harness's clusters. Not for tests
 * of access control (tenantEscape.process.test.ts is one): the stand-in
 * grants `allowed` — by default onboarding, offboarding, resizing and the platform's
 * override, so that the platform team's inputs (explicit clusters, a raised
 * quota) pass too.
 */
export function actionDeps(
  h: Harness,
  allowed = [
    'tenancy.namespace.onboard',
    'tenancy.namespace.offboard',
    'tenancy.namespace.resize',
    'tenancy.namespace.override',
  ],
) {
  return {
    config: h.config,
    registry: h.registry,
    auth: mockServices.auth(),
    permissions: permissionsAllowing(allowed),
    userInfo: seedUserInfo(),
    auditor: h.auditor,
  };
}
