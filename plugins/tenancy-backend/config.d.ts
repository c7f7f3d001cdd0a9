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
  };
}
