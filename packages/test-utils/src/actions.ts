import {
  BackstageCredentials,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { JsonObject, JsonValue } from '@backstage/types';
import { TENANT_USERS } from '@tenancy/sandbox';
import { randomBytes } from 'node:crypto';

/** Permission decisions as a real policy gives them: `allowed` names what the initiator holds. */
export function permissionsAllowing(allowed: string[]): PermissionsService {
  const permissions = mockServices.permissions.mock();
  permissions.authorize.mockImplementation(async requests =>
    requests.map(r => ({
      result: allowed.includes(r.permission.name)
        ? AuthorizeResult.ALLOW
        : AuthorizeResult.DENY,
    })),
  );
  return permissions;
}

/** Team membership as the sandbox's catalog seed has it. */
export function seedUserInfo(): UserInfoService {
  return {
    async getUserInfo(credentials: BackstageCredentials) {
      const ref = (credentials.principal as { userEntityRef: string })
        .userEntityRef;
      const name = ref.split('/').pop();
      const groups = TENANT_USERS.find(u => u.user === name)?.groups ?? [];
      return {
        userEntityRef: ref,
        ownershipEntityRefs: [ref, ...groups.map(g => `group:default/${g}`)],
      };
    },
  };
}

/** A member of the team, from the sandbox seed. */
export function memberOf(tenant: string): string {
  const team = tenant.split('/').pop()!;
  const user = TENANT_USERS.find(u => u.groups.includes(team));
  if (!user) throw new Error(`No sandbox user in ${team}`);
  return user.user;
}

/**
 * Checkpoints as the scaffolder keeps them for one task: a value saved by a
 * successful `fn` is returned on every later run instead of calling `fn`.
 */
export class CheckpointStore {
  readonly values = new Map<string, JsonValue>();
  async run<T extends JsonValue | void>(opts: {
    key: string;
    fn: () => Promise<T> | T;
  }): Promise<T> {
    if (this.values.has(opts.key)) return this.values.get(opts.key) as T;
    const value = await opts.fn();
    this.values.set(opts.key, (value ?? {}) as JsonValue);
    return value;
  }
}

/** Everything a run wrote to the task log and its outputs, to check that no secret reaches them. */
export function capturingContext<T extends JsonObject>(
  input: T,
  options: {
    isDryRun?: boolean;
    user?: string;
    credentials?: BackstageCredentials;
    taskId?: string;
    checkpoints?: CheckpointStore;
  } = {},
) {
  const lines: string[] = [];
  const logger = mockServices.logger.mock();
  for (const level of ['info', 'warn', 'error', 'debug'] as const) {
    logger[level].mockImplementation((message: string, meta?: unknown) => {
      lines.push(
        meta === undefined ? message : `${message} ${JSON.stringify(meta)}`,
      );
    });
  }
  const outputs: Record<string, unknown> = {};
  const checkpoints = options.checkpoints ?? new CheckpointStore();
  const ctx = {
    ...createMockActionContext<T>({ input, logger }),
    isDryRun: options.isDryRun,
    task: { id: options.taskId ?? `task-${randomBytes(6).toString('hex')}` },
    step: { id: 'create-account', name: 'Create AWS account' },
    checkpoint: (opts: any) => checkpoints.run(opts),
    output: (name: string, value: unknown) => {
      outputs[name] = value;
    },
    getInitiatorCredentials: async () =>
      options.credentials ??
      mockCredentials.user(`user:default/${options.user ?? 'alice'}`),
  };
  return { ctx, lines, outputs, checkpoints };
}
