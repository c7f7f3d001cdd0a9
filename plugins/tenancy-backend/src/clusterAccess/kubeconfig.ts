import { ClusterAccessContext } from '@tenancy/plugin-tenancy-common';
import { stringify } from 'yaml';

/** A cluster as a kubeconfig names it: where it is and how to trust it, never how the portal signs in. */
export interface KubeconfigCluster {
  name: string;
  server: string;
  /** Base64 of the CA bundle (PEM), as in a kubeconfig's certificate-authority-data. */
  caData?: string;
}

/** The exec credential plugin that gets a cluster's token through the portal. */
export interface CredentialPlugin {
  command: string;
  portalUrl: string;
  installHint: string;
}

/** The kubeconfig's user entry for a cluster: one per cluster (tokens are per-cluster). */
export function userName(cluster: string): string {
  return `tenancy-${cluster}`;
}

/**
 * A kubeconfig with one context per namespace (`<cluster>/<namespace>`), the
 * clusters' URLs and CA data, and for credentials only an `exec` plugin:
 * kubectl asks it for a token when it needs one. Nothing in it is a secret.
 */
export function renderKubeconfig(
  clusters: KubeconfigCluster[],
  contexts: ClusterAccessContext[],
  plugin: CredentialPlugin,
): string {
  const used = clusters.filter(c => contexts.some(x => x.cluster === c.name));
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: used.map(c => ({
      name: c.name,
      cluster: {
        server: c.server,
        ...(c.caData ? { 'certificate-authority-data': c.caData } : {}),
      },
    })),
    users: used.map(c => ({
      name: userName(c.name),
      user: {
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1',
          command: plugin.command,
          args: [
            'get-token',
            '--portal',
            plugin.portalUrl,
            '--cluster',
            c.name,
          ],
          // It says how to sign in when the person has not.
          interactiveMode: 'IfAvailable',
          provideClusterInfo: false,
          installHint: plugin.installHint,
        },
      },
    })),
    contexts: contexts.map(c => ({
      name: c.name,
      context: {
        cluster: c.cluster,
        namespace: c.namespace,
        user: userName(c.cluster),
      },
    })),
    'current-context': contexts[0]?.name ?? '',
    preferences: {},
  });
}
