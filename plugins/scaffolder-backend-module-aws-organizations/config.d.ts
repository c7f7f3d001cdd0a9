import { SchedulerServiceTaskScheduleDefinitionConfig } from '@backstage/backend-plugin-api';

export interface Config {
  tenancy?: {
    aws?: {
      /**
       * AWS account vending through AWS Organizations. Credentials come from
       * Backstage's AWS integration (the `aws` config block read by
       * `@backstage/integration-aws-node`): the entry of `aws.accounts` for
       * `accountId` (typically a role in the management account), or
       * `aws.mainAccount` when `accountId` is not set.
       */
      organizations?: {
        /**
         * Region of the Organizations endpoint. Organizations is a global
         * service served from us-east-1 (aws-us-gov: us-gov-west-1).
         * Default `us-east-1`.
         */
        region?: string;

        /**
         * Overrides the Organizations endpoint, e.g. the sandbox's emulator
         * `http://127.0.0.1:4566`. Leave unset for AWS.
         */
        endpoint?: string;

        /**
         * The organization's management account id (12 digits). Credentials
         * are requested for this account, so configure an `aws.accounts`
         * entry for it (with `roleName` to assume the portal's role).
         * Unset: the `aws.mainAccount` credentials are used as they are.
         */
        accountId?: string;

        /**
         * At most this many CreateAccount requests are in progress at once,
         * across every backend replica (coordinated through the database).
         * Further requests wait in a queue. Default 5.
         */
        maxConcurrentCreates?: number;

        /**
         * How long one run of the create action waits — for its turn in the
         * queue and for AWS to finish creating the account — before it fails
         * with a resumable error (retrying the task continues where it
         * stopped). Default 900 (15 minutes).
         */
        pollDeadlineSeconds?: number;

        /** The catalog entity provider for vended accounts. */
        catalog?: {
          /**
           * How often every tenant account is read from AWS Organizations
           * into the catalog. Default: every 30 minutes, timeout 10 minutes.
           */
          schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
        };
      };
    };
  };
}
