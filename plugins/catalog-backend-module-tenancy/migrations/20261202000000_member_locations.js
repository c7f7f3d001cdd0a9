// @ts-check

/**
 * Locations a team member registered, and the owners their entities may
 * name: the registering user's ownership refs when they registered it. The
 * catalog's processing refuses an entity from such a location that names
 * another owner, so a member cannot put entities in another team's name,
 * not even by editing the file after registering it.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('tenancy_member_locations', table => {
    table.comment(
      'Catalog locations registered by team members, with the owners their entities may name',
    );
    table
      .string('location_key', 64)
      .primary()
      .notNullable()
      .comment('SHA-256 (hex) of location_ref');
    table
      .text('location_ref')
      .notNullable()
      .comment('<type>:<target>, as the catalog writes origin locations');
    table
      .string('registered_by', 255)
      .notNullable()
      .comment('Entity ref of the user who registered the location');
    table
      .text('owners')
      .notNullable()
      .comment(
        "JSON array of the entity refs the location's entities may name as owner (lower-cased)",
      );
    table
      .bigInteger('registered_at')
      .notNullable()
      .comment('Milliseconds since the epoch');
    table
      .string('token', 36)
      .notNullable()
      .comment(
        'Written by each registration, so that undoing a refused one leaves a later one alone',
      );
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('tenancy_member_locations');
};
