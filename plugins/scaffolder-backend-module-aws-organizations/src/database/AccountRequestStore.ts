import {
  DatabaseService,
  isDatabaseConflictError,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { ConflictError } from '@backstage/errors';
import { Knex } from 'knex';

const TABLE = 'tenancy_aws_account_requests';
/** Not knex's default: the scaffolder's own migrations live in `knex_migrations` of the same database. */
export const MIGRATIONS_TABLE = 'tenancy_aws_knex_migrations';

/**
 * - `queued`: the address is claimed; no CreateAccount yet.
 * - `creating`: holds a slot; CreateAccount is about to be or was called (write-ahead).
 * - `created`: AWS reported SUCCEEDED; the account is being placed and tagged.
 * - `done`: finished. `failed`: the last request failed; nothing exists.
 *
 * @public
 */
export type RequestState =
  | 'queued'
  | 'creating'
  | 'created'
  | 'done'
  | 'failed';

/** @public */
export interface AccountRequest {
  email: string;
  tenant: string;
  accountName: string;
  state: RequestState;
  owner: string;
  leaseExpiresAt: number;
  slot: number | null;
  attempt: number;
  attemptStartedAt: number | null;
  requestId: string | null;
  accountId: string | null;
  failure: string | null;
  createdAt: number;
  updatedAt: number;
}

interface Row {
  email: string;
  tenant: string;
  account_name: string;
  state: RequestState;
  owner: string;
  lease_expires_at: number | string;
  slot: number | null;
  attempt: number;
  attempt_started_at: number | string | null;
  request_id: string | null;
  account_id: string | null;
  failure: string | null;
  created_at: number | string;
  updated_at: number | string;
}

// PostgreSQL returns bigint columns as strings.
function toRequest(row: Row): AccountRequest {
  return {
    email: row.email,
    tenant: row.tenant,
    accountName: row.account_name,
    state: row.state,
    owner: row.owner,
    leaseExpiresAt: Number(row.lease_expires_at),
    slot: row.slot === null ? null : Number(row.slot),
    attempt: Number(row.attempt),
    attemptStartedAt:
      row.attempt_started_at === null ? null : Number(row.attempt_started_at),
    requestId: row.request_id,
    accountId: row.account_id,
    failure: row.failure,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

/** Raised when another task took over a row this task held (its lease lapsed). @public */
export class LostClaimError extends ConflictError {
  constructor(email: string) {
    super(
      `Another task took over the account request for ${email} while this one was paused past its lease; that task continues it — check its result instead of retrying this one`,
    );
  }
}

/** @public */
export type ClaimResult =
  | { claimed: true; row: AccountRequest; previous?: AccountRequest }
  | { claimed: false; holder: AccountRequest };

/**
 * The account-request table in the scaffolder's database: write-ahead record,
 * per-address lock and the cross-replica concurrency gate. Every guarantee
 * rests on the database — the primary key on `email` (one task per address)
 * and the unique `slot` (at most N requests in progress) — never on process
 * memory, so it holds across backend replicas.
 * @public
 */
export class AccountRequestStore {
  static async create(options: {
    database: DatabaseService;
    /** Default: the package's `migrations` folder. */
    migrationsDirectory?: string;
    now?: () => number;
  }): Promise<AccountRequestStore> {
    const knex = await options.database.getClient();
    if (!options.database.migrations?.skip) {
      await knex.migrate.latest({
        directory:
          options.migrationsDirectory ??
          resolvePackagePath(
            '@tenancy/plugin-scaffolder-backend-module-aws-organizations',
            'migrations',
          ),
        tableName: MIGRATIONS_TABLE,
      });
    }
    return new AccountRequestStore(knex, options.now ?? Date.now);
  }

  private constructor(
    private readonly knex: Knex,
    private readonly now: () => number,
  ) {}

  async get(email: string): Promise<AccountRequest | undefined> {
    const row = await this.knex<Row>(TABLE).where({ email }).first();
    return row ? toRequest(row) : undefined;
  }

  /** Rows holding a CreateAccount slot whose lease has not lapsed. */
  async inProgress(): Promise<AccountRequest[]> {
    const rows = await this.knex<Row>(TABLE)
      .whereNotNull('slot')
      .where('lease_expires_at', '>=', this.now());
    return rows.map(toRequest);
  }

  /**
   * Claims the address for `owner`. The row is inserted, or taken over when
   * `owner` already holds it (a rerun of the same step), when its work is
   * over (`done`, `failed`), or when its holder's lease lapsed (a crashed
   * task). A live holder keeps it: the result names it, and the caller
   * waits or refuses. Another tenant's row is only taken over once nothing
   * of it can exist in AWS (`queued` with a lapsed lease, or `failed`).
   * Taking over keeps the row's request id, account id and state, which is
   * what the new holder recovers from.
   */
  async tryClaim(input: {
    email: string;
    tenant: string;
    accountName: string;
    owner: string;
    leaseMs: number;
  }): Promise<ClaimResult> {
    for (;;) {
      const now = this.now();
      try {
        const row: Row = {
          email: input.email,
          tenant: input.tenant,
          account_name: input.accountName,
          state: 'queued',
          owner: input.owner,
          lease_expires_at: now + input.leaseMs,
          slot: null,
          attempt: 1,
          attempt_started_at: null,
          request_id: null,
          account_id: null,
          failure: null,
          created_at: now,
          updated_at: now,
        };
        await this.knex<Row>(TABLE).insert(row);
        return { claimed: true, row: toRequest(row) };
      } catch (error) {
        if (!isDatabaseConflictError(error)) throw error;
      }

      const existing = await this.get(input.email);
      if (!existing) continue; // deleted in between: insert again

      const lapsed = existing.leaseExpiresAt < now;
      const sameTenant = existing.tenant === input.tenant;
      const takeable = sameTenant
        ? existing.owner === input.owner ||
          existing.state === 'done' ||
          existing.state === 'failed' ||
          lapsed
        : existing.state === 'failed' ||
          (existing.state === 'queued' && lapsed);
      if (!takeable) return { claimed: false, holder: existing };

      // A fresh start may take this request's name and tenant; a request
      // that may exist in AWS keeps the name it was sent with, for recovery.
      const fresh = existing.state === 'queued' || existing.state === 'failed';
      const updated = await this.knex<Row>(TABLE)
        .where({
          email: input.email,
          owner: existing.owner,
          updated_at: existing.updatedAt,
        })
        .update({
          owner: input.owner,
          lease_expires_at: now + input.leaseMs,
          updated_at: now,
          ...(fresh
            ? { tenant: input.tenant, account_name: input.accountName }
            : {}),
        });
      if (updated === 1) {
        const row = await this.get(input.email);
        if (row) return { claimed: true, row, previous: existing };
      }
      // Lost a race with another claimant: look again.
    }
  }

  /** Extends the lease; throws {@link LostClaimError} if the row was taken over. */
  async renew(email: string, owner: string, leaseMs: number): Promise<void> {
    await this.update(email, owner, {
      lease_expires_at: this.now() + leaseMs,
    });
  }

  /**
   * Takes one of `max` CreateAccount slots for this row, or returns
   * false when all are held. Slots of rows whose lease lapsed are freed
   * first. The unique index on `slot` is what makes this safe between
   * replicas: two claimants that pick the same free slot cannot both get it.
   */
  async tryTakeSlot(
    email: string,
    owner: string,
    max: number,
    leaseMs: number,
  ): Promise<boolean> {
    const now = this.now();
    const mine = await this.get(email);
    if (!mine || mine.owner !== owner) throw new LostClaimError(email);
    if (mine.slot !== null) {
      await this.update(email, owner, { lease_expires_at: now + leaseMs });
      return true;
    }
    await this.knex<Row>(TABLE)
      .whereNotNull('slot')
      .where('lease_expires_at', '<', now)
      .update({ slot: null });
    const used = new Set(
      (await this.knex<Row>(TABLE).whereNotNull('slot').select('slot')).map(r =>
        Number(r.slot),
      ),
    );
    for (let slot = 0; slot < max; slot++) {
      if (used.has(slot)) continue;
      try {
        const updated = await this.knex<Row>(TABLE)
          .where({ email, owner })
          .update({
            slot,
            lease_expires_at: now + leaseMs,
            updated_at: now,
          });
        if (updated !== 1) throw new LostClaimError(email);
        return true;
      } catch (error) {
        if (!isDatabaseConflictError(error)) throw error;
      }
    }
    return false;
  }

  /**
   * The write-ahead record, committed before CreateAccount is called: from
   * here on a crash leaves `creating` without a request id, which the next
   * holder resolves by looking the request up by name.
   */
  async beginAttempt(
    email: string,
    owner: string,
    leaseMs: number,
  ): Promise<AccountRequest> {
    const now = this.now();
    await this.update(email, owner, {
      state: 'creating',
      request_id: null,
      attempt_started_at: now,
      lease_expires_at: now + leaseMs,
    });
    return (await this.get(email))!;
  }

  async saveRequestId(
    email: string,
    owner: string,
    requestId: string,
  ): Promise<void> {
    await this.update(email, owner, { request_id: requestId });
  }

  /** AWS reported SUCCEEDED: the slot is free again; placement and tags follow. */
  async markCreated(
    email: string,
    owner: string,
    accountId: string,
  ): Promise<void> {
    await this.update(email, owner, {
      state: 'created',
      account_id: accountId,
      slot: null,
    });
  }

  async markDone(email: string, owner: string, accountId: string) {
    await this.update(email, owner, {
      state: 'done',
      account_id: accountId,
      slot: null,
    });
  }

  /**
   * The request failed and nothing was created: frees the slot and moves
   * on to the next attempt number. The row is free for the next task.
   */
  async markFailed(
    email: string,
    owner: string,
    failure: string,
  ): Promise<void> {
    await this.endAttempt(email, owner, failure, 'failed');
  }

  /** Like {@link AccountRequestStore.markFailed}, but the holder keeps the address to send a new request. */
  async markRetry(
    email: string,
    owner: string,
    failure: string,
  ): Promise<void> {
    await this.endAttempt(email, owner, failure, 'queued');
  }

  private async endAttempt(
    email: string,
    owner: string,
    failure: string,
    state: 'failed' | 'queued',
  ): Promise<void> {
    const row = await this.get(email);
    if (!row || row.owner !== owner) throw new LostClaimError(email);
    await this.update(email, owner, {
      state,
      failure: failure.slice(0, 1000),
      slot: null,
      request_id: null,
      attempt: row.attempt + 1,
    });
  }

  /**
   * The address's account exists and belongs to `tenant` (found by a run
   * that did not create it): the row, if any, is finished.
   */
  async recordExisting(
    email: string,
    tenant: string,
    accountId: string,
  ): Promise<void> {
    await this.knex<Row>(TABLE).where({ email, tenant }).update({
      state: 'done',
      account_id: accountId,
      slot: null,
      updated_at: this.now(),
    });
  }

  /** Lets go of a row whose holder stops without a result (nothing in AWS). */
  async release(email: string, owner: string): Promise<void> {
    await this.knex<Row>(TABLE)
      .where({ email, owner })
      .update({ lease_expires_at: 0, slot: null, updated_at: this.now() });
  }

  private async update(
    email: string,
    owner: string,
    patch: Partial<Row>,
  ): Promise<void> {
    const updated = await this.knex<Row>(TABLE)
      .where({ email, owner })
      .update({ ...patch, updated_at: this.now() });
    if (updated !== 1) throw new LostClaimError(email);
  }
}
