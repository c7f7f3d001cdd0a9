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
  };
}
