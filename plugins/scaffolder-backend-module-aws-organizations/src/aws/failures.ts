import { ConflictError } from '@backstage/errors';

/**
 * What a terminal CreateAccount FailureReason means and what to do about it;
 * none is retried. INTERNAL_FAILURE, EMAIL_ALREADY_EXISTS and
 * CONCURRENT_ACCOUNT_MODIFICATION are handled by the vending flow itself.
 */
const KNOWN_FAILURES: Record<string, string> = {
  ACCOUNT_LIMIT_EXCEEDED:
    'the organization has reached its maximum number of accounts (quota "Default maximum number of accounts"); close unused accounts or ask AWS to raise the quota',
  INVALID_EMAIL: 'AWS does not accept this email address',
  INVALID_ADDRESS:
    "the management account's contact address is not valid for account creation",
  INVALID_PAYMENT_INSTRUMENT:
    "the management account's payment method is not valid",
  MISSING_PAYMENT_INSTRUMENT:
    'the management account has no payment method on file',
  FAILED_BUSINESS_VALIDATION:
    "the management account failed AWS's business validation",
  PENDING_BUSINESS_VALIDATION:
    "the management account's business validation is still pending",
  MISSING_BUSINESS_VALIDATION:
    'the management account has not completed business validation',
  INVALID_IDENTITY_FOR_BUSINESS_VALIDATION:
    "the management account's identity failed business validation",
  UNKNOWN_BUSINESS_VALIDATION:
    'an unknown business validation error occurred on the management account',
  GOVCLOUD_ACCOUNT_ALREADY_EXISTS:
    'an AWS GovCloud account for this address already exists',
  UPDATE_EXISTING_RESOURCE_POLICY_WITH_TAGS_NOT_SUPPORTED:
    "the organization's resource policy does not allow tags on CreateAccount",
};

/** Limits on the number or the creation rate of accounts: fail at once, naming the limit. */
export const LIMIT_REASONS = new Set([
  'ACCOUNT_LIMIT_EXCEEDED',
  'ACCOUNT_NUMBER_LIMIT_EXCEEDED',
  'ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED',
]);

const LIMIT_TEXT: Record<string, string> = {
  ACCOUNT_NUMBER_LIMIT_EXCEEDED:
    'the organization has reached its maximum number of accounts; close unused accounts or ask AWS to raise the quota',
  ACCOUNT_CREATION_RATE_LIMIT_EXCEEDED:
    'the organization has created accounts faster than AWS allows (account creation rate limit); wait before requesting another account',
};

/**
 * The terminal error for a FailureReason: known reasons with an
 * explanation, limits naming the limit, anything else verbatim.
 * None of them is retried.
 */
export function createAccountFailure(email: string, reason: string): Error {
  const known = KNOWN_FAILURES[reason];
  if (LIMIT_REASONS.has(reason)) {
    return new ConflictError(
      `AWS refused to create the account for ${email} because of a limit: ${reason} — ${known}. Nothing was created and the request is not retried`,
    );
  }
  if (known) {
    return new ConflictError(
      `AWS failed to create the account for ${email}: ${reason} — ${known}. Nothing was created and the request is not retried`,
    );
  }
  return new ConflictError(
    `AWS failed to create the account for ${email} with FailureReason "${reason}", which this plugin does not know; it is reported as AWS gave it and not retried. Nothing was created`,
  );
}

/** CreateAccount's ConstraintViolationException — a limit, named. */
export function constraintViolation(
  email: string,
  reason: string | undefined,
  message: string,
): Error {
  const text = reason ? LIMIT_TEXT[reason] : undefined;
  return new ConflictError(
    `AWS refused to create the account for ${email} because of a limit: ${
      reason ?? 'ConstraintViolationException'
    }${
      text ? ` — ${text}` : ''
    } (AWS: ${message}). Nothing was created and the request is not retried`,
  );
}
