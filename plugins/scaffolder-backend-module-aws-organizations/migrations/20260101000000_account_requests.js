// @ts-check

/**
 * AWS account vending: one row per email address the portal is creating, or
 * has created, an account for. It is written before CreateAccount is called
 * (so that a crash right after the call can be recovered), is the lock that
 * lets only one task at a time work on an address, and carries the slot that
 * limits how many CreateAccount requests are in progress across replicas.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('tenancy_aws_account_requests', table => {
    table.comment(
      'AWS account vending requests, one per email address (write-ahead record, per-address lock and concurrency slot)',
    );
    table
      .string('email', 64)
      .primary()
      .notNullable()
      .comment('Email address of the new account, lower-cased');
    table
      .string('tenant', 255)
      .notNullable()
      .comment('Entity ref of the owning group');
    table
      .string('account_name', 50)
      .notNullable()
      .comment('AccountName sent to CreateAccount');
    table
      .string('state', 16)
      .notNullable()
      .comment('queued | creating | created | done | failed');
    table
      .string('owner', 255)
      .notNullable()
      .comment('The task step holding the row: <task id>/<step id>');
    table
      .bigInteger('lease_expires_at')
      .notNullable()
      .comment(
        'Epoch ms after which the owner is presumed gone and the row may be taken over',
      );
    table
      .integer('slot')
      .nullable()
      .unique()
      .comment(
        'While set, one of the maxConcurrentCreates CreateAccount slots; unique across the table',
      );
    table
      .integer('attempt')
      .notNullable()
      .defaultTo(1)
      .comment('The CreateAccount attempt (grows after a failed request)');
    table
      .bigInteger('attempt_started_at')
      .nullable()
      .comment('Epoch ms just before CreateAccount was called');
    table
      .string('request_id', 64)
      .nullable()
      .comment('CreateAccount request id, once known');
    table
      .string('account_id', 12)
      .nullable()
      .comment('The account id, once the request succeeded');
    table.text('failure').nullable().comment('Why the last request failed');
    table.bigInteger('created_at').notNullable();
    table.bigInteger('updated_at').notNullable();
    table.index(['state'], 'tenancy_aws_account_requests_state_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('tenancy_aws_account_requests');
};
