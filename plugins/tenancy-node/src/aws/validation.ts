import { InputError } from '@backstage/errors';

/** Tag keys the actions write and read. @public */
export const TAG_KEYS = {
  /** The owning Backstage group's full entity ref, e.g. `group:default/team-payments`. */
  tenant: 'tenant',
  costCentre: 'cost-centre',
  environment: 'environment',
} as const;

/** AWS allows at most this many tags on an account. @public */
export const MAX_TAGS = 50;

const ACCOUNT_NAME = /^[\u0020-\u007e]{1,50}$/;
// CreateAccount's Email: 6–64 characters, `[^\s@]+@[^\s@]+\.[^\s@]+`;
// restricted to printable ASCII so lookups and the database key compare
// exactly.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const OU_ID = /^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/;
const ACCOUNT_ID = /^\d{12}$/;
// Letters, digits and spaces in any script, plus _ . : / = + - @
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const MAX_OU_DEPTH = 5;

/** 1–50 printable ASCII characters, as CreateAccount requires. @public */
export function validateAccountName(name: string): string {
  if (!ACCOUNT_NAME.test(name)) {
    throw new InputError(
      `Account name ${JSON.stringify(
        name,
      )} is not valid: use 1 to 50 printable ASCII characters (letters, digits, spaces and punctuation; no accents, emoji or control characters)`,
    );
  }
  return name;
}

/**
 * An address CreateAccount accepts. Returned lower-cased: AWS treats
 * addresses case-insensitively, and so must every lookup and the database key.
 * @public
 */
export function validateEmail(email: string): string {
  if (
    email.length < 6 ||
    email.length > 64 ||
    !PRINTABLE_ASCII.test(email) ||
    !EMAIL.test(email)
  ) {
    throw new InputError(
      `Email ${JSON.stringify(
        email,
      )} is not a valid address for a new AWS account: use 6 to 64 ASCII characters of the form name@domain.tld, without spaces`,
    );
  }
  return email.toLowerCase();
}

/** The IAM role AWS creates in the new account for the management account. @public */
export function validateRoleName(roleName: string): string {
  if (!ROLE_NAME.test(roleName)) {
    throw new InputError(
      `Role name ${JSON.stringify(
        roleName,
      )} is not valid: use 1 to 64 letters, digits and + = , . @ _ -`,
    );
  }
  return roleName;
}

/** A 12-digit AWS account id. @public */
export function validateAccountId(accountId: string): string {
  if (!ACCOUNT_ID.test(accountId)) {
    throw new InputError(
      `Account id ${JSON.stringify(accountId)} is not valid: use 12 digits`,
    );
  }
  return accountId;
}

/** Where the account goes: an OU id, or a path of OU names below the root. @public */
export type OuRef = { id: string } | { path: string[] };

/** Parses `ou-xxxx-yyyyyyyy` or `Workloads/Prod`; the OU's existence is checked against AWS later. @public */
export function parseOuRef(ou: string): OuRef {
  if (ou.startsWith('ou-')) {
    if (!OU_ID.test(ou)) {
      throw new InputError(
        `OU ${JSON.stringify(
          ou,
        )} is not a valid OU id: expected ou-<4 to 32 lowercase letters or digits>-<8 to 32 lowercase letters or digits>`,
      );
    }
    return { id: ou };
  }
  const path = ou.split('/');
  if (
    path.length > MAX_OU_DEPTH ||
    path.some(
      segment =>
        segment.length === 0 ||
        segment.length > 128 ||
        segment.trim() !== segment ||
        !/^[\u0020-\u007e]+$/.test(segment),
    )
  ) {
    throw new InputError(
      `OU ${JSON.stringify(
        ou,
      )} is not valid: give an OU id (ou-…) or a path of OU names below the root such as Workloads/Prod (at most ${MAX_OU_DEPTH} levels, no empty names, no leading or trailing slash)`,
    );
  }
  return { path };
}

/** An AWS tag. @public */
export interface Tag {
  Key: string;
  Value: string;
}

/**
 * The account's tags — tenant, cost centre, environment and extras —
 * checked against AWS's tag rules: keys 1–128 and values 0–256 characters of
 * letters, digits, spaces and `_ . : / = + - @`; no `aws:` prefix; at most
 * {@link MAX_TAGS}. The tenant tag is set from the tenant, never by the
 * caller.
 * @public
 */
export function buildTags(
  tenantRef: string,
  tags: Record<string, string>,
): Tag[] {
  const problems: string[] = [];
  if (TAG_KEYS.tenant in tags) {
    problems.push(
      `"${TAG_KEYS.tenant}" is set from the tenant input and cannot be given in tags`,
    );
  }
  for (const required of [TAG_KEYS.costCentre, TAG_KEYS.environment]) {
    if (!tags[required]) {
      problems.push(`"${required}" is required and must not be empty`);
    }
  }
  const all: Tag[] = [
    { Key: TAG_KEYS.tenant, Value: tenantRef },
    ...Object.entries(tags)
      .filter(([key]) => key !== TAG_KEYS.tenant)
      .map(([Key, Value]) => ({ Key, Value })),
  ];
  for (const { Key, Value } of all) {
    if (typeof Value !== 'string') {
      problems.push(`the value of ${JSON.stringify(Key)} must be a string`);
      continue;
    }
    if (Key.length < 1 || Key.length > 128) {
      problems.push(
        `key ${JSON.stringify(Key)} must be 1 to 128 characters long`,
      );
    }
    if (Key.toLowerCase().startsWith('aws:')) {
      problems.push(
        `key ${JSON.stringify(Key)} uses the reserved prefix "aws:"`,
      );
    }
    if (!TAG_TEXT.test(Key)) {
      problems.push(
        `key ${JSON.stringify(
          Key,
        )} may only contain letters, digits, spaces and _ . : / = + - @`,
      );
    }
    if (Value.length > 256) {
      problems.push(
        `the value of ${JSON.stringify(Key)} is longer than 256 characters`,
      );
    }
    if (!TAG_TEXT.test(Value)) {
      problems.push(
        `the value of ${JSON.stringify(
          Key,
        )} may only contain letters, digits, spaces and _ . : / = + - @`,
      );
    }
  }
  if (all.length > MAX_TAGS) {
    problems.push(
      `${all.length} tags (including "${TAG_KEYS.tenant}") is more than the ${MAX_TAGS} AWS allows`,
    );
  }
  if (problems.length > 0) {
    throw new InputError(`Invalid tags: ${problems.join('; ')}`);
  }
  return all;
}
