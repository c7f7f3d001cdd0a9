import { mockServices } from '@backstage/backend-test-utils';
import {
  capturingContext,
  memberOf,
  permissionsAllowing,
  seedUserInfo,
} from '@tenancy/test-utils';

/** The access checks' services, with a stand-in that grants `allowed`. */
export function accessDeps(allowed: string[]) {
  return {
    auth: mockServices.auth(),
    permissions: permissionsAllowing(allowed),
    userInfo: seedUserInfo(),
    auditor: mockServices.auditor.mock(),
  };
}

/**
 * Runs an action's handler on `input` — as `options.user`, or else as a
 * member of the input's tenant (alice if that is no group ref) — and returns
 * what it logged and output, and what it threw as `error`.
 */
export async function runAction(
  act: { handler(ctx: any): Promise<void> },
  input: Record<string, unknown>,
  options: NonNullable<Parameters<typeof capturingContext>[1]> = {},
) {
  const tenant = String(input.tenant);
  const c = capturingContext(input as any, {
    ...options,
    user:
      options.user ??
      (tenant.startsWith('group:') ? memberOf(tenant) : 'alice'),
  });
  const error = await act.handler(c.ctx).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  return { ...c, error };
}
