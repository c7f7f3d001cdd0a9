import { KubeConfig } from '@kubernetes/client-node';

/**
 * One cluster, one bearer-token user, one context: what the suite talks to a
 * cluster with.
 * @public
 */
export interface KubeConfigOptions {
  /** The cluster's name in the KubeConfig. */
  name: string;
  /** The API server's URL. */
  server: string;
  /** Base64 of the cluster CA's PEM, as in a kubeconfig's certificate-authority-data. */
  caData?: string;
  /** Only ever true for clusters an operator configured so; default false. */
  skipTLSVerify?: boolean;
  /** The user's name in the KubeConfig. */
  user: string;
  /** The bearer token the user authenticates with. */
  token: string;
  /** The context's name; default `<user>@<name>`. */
  context?: string;
}

/**
 * A KubeConfig for one identity on one cluster. TLS is verified against
 * `caData` unless `skipTLSVerify` is explicitly true, so that no caller
 * turns verification off by leaving a field out.
 * @public
 */
export function makeKubeConfig(options: KubeConfigOptions): KubeConfig {
  const context = options.context ?? `${options.user}@${options.name}`;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: options.name,
        server: options.server,
        caData: options.caData,
        skipTLSVerify: options.skipTLSVerify === true,
      },
    ],
    users: [{ name: options.user, token: options.token }],
    contexts: [{ name: context, cluster: options.name, user: options.user }],
    currentContext: context,
  });
  return kc;
}
