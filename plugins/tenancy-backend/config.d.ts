export interface Config {
  tenancy?: {
    /** The fleet snapshot the views read. */
    fleet?: {
      /** How often one backend replica refreshes the snapshot, in seconds. Default 30. */
      refreshIntervalSeconds?: number;
      /** At most this many requests to one cluster at once. Default 4. */
      concurrencyPerCluster?: number;
      /** Page size of list calls. Default 500. */
      pageSize?: number;
    };

    /**
     * kubectl as yourself: the portal issues short-lived tokens that the
     * tenant clusters trust (Kubernetes' structured authentication
     * configuration, a JWT authenticator for this issuer), with the person's
     * Backstage user as the Kubernetes user and their teams as groups.
     * Unset, the portal issues no cluster tokens.
     */
    clusterAccess?: {
      /**
       * The https URL the clusters trust as the issuer (the tokens' `iss`);
       * Kubernetes accepts no http issuer, and neither does the portal.
       * It must serve `/.well-known/openid-configuration` and `/jwks` —
       * the portal's `/api/tenancy/cluster-access/…`, e.g.
       * `https://backstage.example.com/api/tenancy/cluster-access`.
       */
      issuer: string;
      /**
       * The private key (PEM) tokens are signed with: EC P-256 (ES256) or
       * RSA of at least 2048 bits (RS256, what EKS accepts).
       * @visibility secret
       */
      signingKey: string;
      /**
       * Public keys (PEM, `openssl pkey -pubout`) published in the issuer's
       * keys beside `signingKey`'s, for rotating the key without cutting
       * off tokens: first the next key's, deployed before any replica signs
       * with it; then the previous key's, until the tokens it signed have
       * expired (`tokenLifetime` after the last replica switched). A private
       * key here is refused. See docs/cluster-access.md.
       */
      additionalPublicKeys?: string[];

      /** How long a token lasts: 5 seconds to 1 hour. Default 15 minutes. */
      tokenLifetime?:
        | string
        | {
            hours?: number;
            minutes?: number;
            seconds?: number;
          };
      /** The credential plugin kubeconfigs run (`exec` command). Default `tenancy-kube-login`. */
      command?: string;
      /**
       * The install command the Cluster access panel shows; `{portal}` and
       * `{team}` are replaced. Set it to where your organisation distributes
       * the plugin until `@tenancy/kube-login` is published. Default
       * `npm install --global @tenancy/kube-login && tenancy-kube-login setup --portal {portal} --team {team}`.
       */
      installCommand?: string;
    };
  };
}
