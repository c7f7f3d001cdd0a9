import {
  KubeConfig,
  KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
} from '@kubernetes/client-node';
import { makeKubeConfig } from '@tenancy/plugin-tenancy-node';

/** The field manager under which the sandbox applies everything it owns. */
export const SANDBOX_FIELD_MANAGER = 'tenancy-sandbox';

export interface ClusterEndpoint {
  name: string;
  url: string;
  /** Base64 of the cluster CA's PEM, as in a kubeconfig's certificate-authority-data. */
  caData: string;
}

/** A KubeConfig for one identity on one cluster, verifying TLS with the cluster's own CA. */
export function kubeConfigFor(
  cluster: ClusterEndpoint,
  user: string,
  token: string,
): KubeConfig {
  return makeKubeConfig({
    name: cluster.name,
    server: cluster.url,
    caData: cluster.caData,
    user,
    token,
  });
}

/** The same as a kubeconfig file, for the control-plane processes and for people. */
export function kubeConfigYaml(
  cluster: ClusterEndpoint,
  user: string,
  token: string,
): string {
  return kubeConfigFor(cluster, user, token).exportConfig();
}

/**
 * Server-side apply of every object under the sandbox's field manager (or
 * another, e.g. a test's `ci`): the same call creates or converges, so
 * seeding twice changes nothing.
 */
export async function applyAll(
  kc: KubeConfig,
  objects: KubernetesObject[],
  fieldManager = SANDBOX_FIELD_MANAGER,
): Promise<void> {
  const client = KubernetesObjectApi.makeApiClient(kc);
  for (const object of objects) {
    await client.patch(
      object,
      undefined,
      undefined,
      fieldManager,
      true,
      PatchStrategy.ServerSideApply,
    );
  }
}
