import { SchedulerServiceTaskScheduleDefinitionConfig } from '@backstage/backend-plugin-api';

export interface Config {
  tenancy?: {
    /** The tenant clusters and namespaces in the catalog (`@tenancy/plugin-catalog-backend-module-tenancy`). */
    catalog?: {
      /**
       * How often the clusters are listed and the catalog updated; one
       * replica runs it per interval. Default every 30 s (timeout 5 min).
       * A namespace onboarded or offboarded through the portal shows at
       * once (the actions announce it); anything else by the next run.
       */
      schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
      /**
       * Watch the tenant namespaces of every cluster and update the catalog
       * within seconds of a change made anywhere (kubectl included), not
       * only at the next scheduled run. Default true. With it, a scheduled
       * run does not list again the namespaces of a cluster whose watch saw
       * no change since the replica last listed them (at most 10 minutes).
       */
      watch?: boolean;
      /**
       * How long the whole listing of one cluster (every page of its
       * namespaces and workloads) may take before that run keeps the
       * cluster's last known namespaces, in milliseconds. Default 60000.
       * Not `tenancy.clusterTimeoutMs`, which is how long a page waits for
       * one request: the listing runs in the background and nobody waits
       * on it.
       */
      clusterTimeoutMs?: number;
      /**
       * Owner of the cluster Resources. Default the first of
       * `tenancy.platformTeams`, else `group:default/platform-team`.
       */
      clusterOwner?: string;
      /**
       * `delta` (default): a full mutation when nothing is known yet, then
       * only what changed. `full`: every run re-sends every entity, as
       * providers that keep no state do — for comparison (the catalog bench).
       */
      mutation?: 'delta' | 'full';
    };
  };
}
