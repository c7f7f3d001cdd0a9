import { SchedulerServiceTaskScheduleDefinitionConfig } from '@backstage/backend-plugin-api';

export interface Config {
  /**
   * Tenancy: multi-tenant Kubernetes on AWS. Clusters themselves are read from
   * `kubernetes.clusterLocatorMethods`, exactly as Backstage's Kubernetes
   * plugin reads them.
   */
  tenancy?: {
    /**
     * Named sets of clusters. Onboarding targets an environment, not a URL.
     * @example { dev: ['dev-eu-1'], prod: ['prod-eu-1', 'prod-us-1'] }
     */
    environments?: { [environment: string]: string[] };

    /**
     * Groups whose members act as the platform team: they may onboard and
     * offboard namespaces for any team. Default `['group:default/platform-team']`.
     */
    platformTeams?: string[];

    /**
     * How long one cluster may take to answer one request before it is
     * reported as failed, in milliseconds. Default 10000.
     */
    clusterTimeoutMs?: number;

    /** Rules for the clusters of `kubernetes.clusterLocatorMethods`. */
    clusters?: {
      /** Clusters from the `catalog` locator (Resources of type kubernetes-cluster). */
      catalog?: {
        /**
         * IAM roles a catalog cluster may have the portal assume through its
         * `kubernetes.io/aws-assume-role` annotation. Whoever can register a
         * catalog entity writes that annotation, so without this list anyone
         * could make the portal assume any role it can reach (confused
         * deputy). Entries are role ARNs; `*` matches any run of characters
         * within one ARN segment (never a `:`), e.g.
         * `arn:aws:iam::123456789012:role/tenancy-*`. A catalog cluster whose
         * role is not matched, or that has `kubernetes.io/aws-external-id`
         * without a role, is left out and logged. Default `[]`: no catalog
         * cluster may have a role assumed. Clusters from app-config are
         * trusted and not checked.
         * @visibility backend
         */
        allowedAssumeRoles?: string[];
      };
    };

    /** The tenant baseline applied to every onboarded namespace. */
    baseline?: {
      /**
       * The Kubernetes group a tenant's members authenticate as, from the
       * Backstage group's name and namespace, e.g. `oidc:{name}`. Default `{name}`.
       * Must hold `{name}` and not start with `system:`. Without `{namespace}`
       * only groups of the catalog's `default` namespace can be tenants (two
       * namespaces' same-named groups would share one Kubernetes group).
       */
      groupSubjectTemplate?: string;

      /**
       * ClusterRole the tenant's group is bound to in its namespaces (with a
       * RoleBinding, never a ClusterRoleBinding). Must not be cluster-admin.
       * Default `tenancy-tenant-developer`.
       */
      tenantRole?: string;

      /** ClusterRole of the namespace's deploy ServiceAccount. Default `tenancy-deployer`. */
      deployRole?: string;

      /** Name of the deploy ServiceAccount. Default `deployer`. */
      deployServiceAccount?: string;

      /** Pod Security Admission level when the request names none. Default `baseline`. */
      defaultPodSecurity?: 'privileged' | 'baseline' | 'restricted';

      /**
       * Namespaces (by name) whose pods may reach tenant pods: the ingress
       * controller's. Default `['ingress-nginx']`.
       */
      ingressNamespaces?: string[];

      /** The quota preset when the request names none. Default `small`. */
      defaultQuotaPreset?: string;

      /**
       * ResourceQuota `hard` values by preset name. Defaults: small, medium
       * and large (see the package README).
       */
      quotaPresets?: { [preset: string]: { [resource: string]: string } };

      /** Container defaults of the LimitRange, so pods without requests still schedule. */
      limitRange?: {
        defaultRequest?: { cpu?: string; memory?: string };
        default?: { cpu?: string; memory?: string };
        max?: { cpu?: string; memory?: string };
      };
    };
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

        /**
         * The OU a team's account of each environment goes to: environment
         * name → an OU path below the root (`Workloads/Prod`) or an OU id.
         * Templates name the environment (`TenancyEnvironmentPicker` with
         * `ui:options: { for: accounts }` offers these), and
         * `aws:organizations:account:create` takes the OU from here when its
         * input names an `environment` and no `ou`. Environments may be ones
         * without clusters (e.g. `sandbox`).
         */
        environmentOus?: { [environment: string]: string };

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
