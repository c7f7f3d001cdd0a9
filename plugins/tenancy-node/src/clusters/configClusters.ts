import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import fs from 'node:fs';
import {
  ANNOTATION_KUBERNETES_AUTH_PROVIDER,
  ANNOTATION_KUBERNETES_AWS_ASSUME_ROLE,
  ANNOTATION_KUBERNETES_AWS_CLUSTER_ID,
  ANNOTATION_KUBERNETES_AWS_EXTERNAL_ID,
  ROLE_ARN,
} from './annotations';
import { TenancyCluster } from './types';

function metadataString(
  authMetadata: Record<string, unknown>,
  key: string,
  where: string,
): string | undefined {
  const value = authMetadata[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    throw new Error(`${where}: authMetadata.${key} must be a string`);
  }
  return value;
}

/**
 * The clusters of one `type: config` entry of
 * `kubernetes.clusterLocatorMethods`, read with the keys of Backstage's
 * `ConfigClusterLocator`. App-config is trusted: http URLs (local proxies) and
 * skipTLSVerify are allowed here. Invalid entries throw, as they do in
 * Backstage; auth providers this suite does not support are skipped with a
 * warning.
 */
export function readConfigClusters(
  locator: Config,
  locatorIndex: number,
  logger: LoggerService,
): TenancyCluster[] {
  const clusters: TenancyCluster[] = [];
  locator.getConfigArray('clusters').forEach((c, clusterIndex) => {
    const name = c.getString('name');
    const where = `kubernetes.clusterLocatorMethods[${locatorIndex}].clusters[${clusterIndex}] ('${name}')`;
    const authMetadata = c.getOptional<Record<string, unknown>>('authMetadata');
    if (
      authMetadata !== undefined &&
      (typeof authMetadata !== 'object' ||
        authMetadata === null ||
        Array.isArray(authMetadata))
    ) {
      throw new Error(`${where}: authMetadata must be an object`);
    }
    const meta = authMetadata ?? {};
    // As in Backstage, a key in authMetadata wins over the plain key.
    const fromMeta = (key: string) => metadataString(meta, key, where);

    const authProvider =
      fromMeta(ANNOTATION_KUBERNETES_AUTH_PROVIDER) ??
      c.getOptionalString('authProvider');
    if (!authProvider) {
      throw new Error(
        `${where} has no auth provider; set authProvider or authMetadata.${ANNOTATION_KUBERNETES_AUTH_PROVIDER}`,
      );
    }

    const rawUrl = c.getString('url');
    let url: URL;
    try {
      url = new URL(rawUrl);
    } catch {
      throw new Error(`${where}: url is not a valid URL`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new Error(`${where}: url must use https or http`);
    }

    if (authProvider !== 'serviceAccount' && authProvider !== 'aws') {
      logger.warn(
        `Skipping cluster '${name}' from app-config: auth provider '${authProvider}' is not supported by Tenancy (supported: serviceAccount, aws)`,
      );
      return;
    }

    const caFile = c.getOptionalString('caFile');
    let caData = c.getOptionalString('caData');
    if (caFile) {
      // As in Backstage, the file wins over caData when both are set.
      try {
        caData = fs.readFileSync(caFile).toString('base64');
      } catch (error) {
        throw new Error(
          `${where}: caFile ${caFile} cannot be read: ${
            (error as NodeJS.ErrnoException).code ?? 'error'
          }`,
        );
      }
    }

    const cluster: TenancyCluster = {
      name,
      url: url.href.replace(/\/+$/, ''),
      source: 'config',
      authProvider,
      skipTLSVerify: c.getOptionalBoolean('skipTLSVerify') ?? false,
    };
    if (caData) cluster.caData = caData;

    if (authProvider === 'serviceAccount') {
      const token =
        fromMeta('serviceAccountToken') ??
        c.getOptionalString('serviceAccountToken');
      if (!token) {
        logger.warn(
          `Skipping cluster '${name}' from app-config: the serviceAccount auth provider needs serviceAccountToken (the in-cluster token fallback of Backstage's Kubernetes plugin is not supported)`,
        );
        return;
      }
      cluster.serviceAccountToken = token;
    } else {
      const assumeRole =
        fromMeta(ANNOTATION_KUBERNETES_AWS_ASSUME_ROLE) ??
        c.getOptionalString('assumeRole');
      if (assumeRole !== undefined && !ROLE_ARN.test(assumeRole)) {
        throw new Error(`${where}: assumeRole is not an IAM role ARN`);
      }
      const externalId =
        fromMeta(ANNOTATION_KUBERNETES_AWS_EXTERNAL_ID) ??
        c.getOptionalString('externalId');
      const awsClusterName = fromMeta(ANNOTATION_KUBERNETES_AWS_CLUSTER_ID);
      const awsRegion = c.getOptionalString('awsRegion');
      if (assumeRole) cluster.assumeRole = assumeRole;
      if (externalId) cluster.externalId = externalId;
      if (awsClusterName) cluster.awsClusterName = awsClusterName;
      if (awsRegion) cluster.awsRegion = awsRegion;
    }
    clusters.push(cluster);
  });
  return clusters;
}
