import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { BlockList, isIPv6 } from 'node:net';
import {
  ANNOTATION_KUBERNETES_API_SERVER,
  ANNOTATION_KUBERNETES_API_SERVER_CA,
  ANNOTATION_KUBERNETES_AUTH_PROVIDER,
  ANNOTATION_KUBERNETES_AWS_ASSUME_ROLE,
  ANNOTATION_KUBERNETES_AWS_CLUSTER_ID,
  ANNOTATION_KUBERNETES_AWS_EXTERNAL_ID,
  ANNOTATION_KUBERNETES_SKIP_TLS_VERIFY,
  ROLE_ARN,
} from './annotations';
import { TenancyCluster } from './types';

/** The catalog filter of Backstage's catalog cluster locator. */
export const CATALOG_CLUSTER_FILTER = {
  kind: 'Resource',
  'spec.type': 'kubernetes-cluster',
};

/**
 * Annotation keys that suggest a credential. Whoever can register an entity
 * can write annotations, and the catalog shows them to every reader: a
 * credential there is already leaked, and using it would invite more.
 */
const CREDENTIAL_KEY = /token|secret|password/i;

/**
 * Where a cluster URL from the catalog must not point: link-local
 * (169.254.0.0/16 holds the cloud metadata services; fe80::/10), EC2's IPv6
 * metadata service (fd00:ec2::254, not link-local) and the unspecified
 * addresses. IPv4-mapped IPv6 forms (`::ffff:169.254.169.254`) are matched by
 * the IPv4 rules.
 */
const FORBIDDEN_ADDRESSES = (() => {
  const list = new BlockList();
  list.addSubnet('169.254.0.0', 16, 'ipv4');
  list.addSubnet('0.0.0.0', 8, 'ipv4');
  list.addSubnet('fe80::', 10, 'ipv6');
  list.addAddress('fd00:ec2::254', 'ipv6');
  list.addAddress('::', 'ipv6');
  return list;
})();

/** The config key of the roles clusters from the catalog may have assumed. */
export const ALLOWED_ASSUME_ROLES_KEY =
  'tenancy.clusters.catalog.allowedAssumeRoles';

/**
 * An entry of {@link ALLOWED_ASSUME_ROLES_KEY}: an IAM role ARN in which `*`
 * stands for any run of characters within one ARN segment (never a `:`).
 */
const ROLE_PATTERN = /^arn:[a-z*-]+:iam::[\d*]+:role\/[\w+=,.@/*-]+$/;

/** Whether the portal may assume a role a catalog entity names. */
export type RoleAllowList = (roleArn: string) => boolean;

/**
 * The allow-list of {@link ALLOWED_ASSUME_ROLES_KEY}: exact role ARNs, or
 * patterns with `*`. Throws on an entry that is not shaped like a role ARN,
 * so a typo cannot silently allow nothing or, worse, everything.
 */
export function compileRoleAllowList(patterns: string[]): RoleAllowList {
  const regexes = patterns.map((pattern, index) => {
    if (!ROLE_PATTERN.test(pattern)) {
      throw new Error(
        `${ALLOWED_ASSUME_ROLES_KEY}[${index}] '${pattern}' is not an IAM role ARN or a pattern of one, e.g. arn:aws:iam::123456789012:role/tenancy-*`,
      );
    }
    const source = pattern
      .split('*')
      .map(part => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^:]*');
    return new RegExp(`^${source}$`);
  });
  return roleArn => regexes.some(regex => regex.test(roleArn));
}

/**
 * Why a cluster from the catalog may not have the portal assume its role
 * (confused deputy: whoever registers the entity picks the role), or
 * undefined when it may. Checked before anything is asked of STS.
 */
export function catalogRoleRefusal(
  cluster: { assumeRole?: string; externalId?: string },
  allowRole: RoleAllowList,
): string | undefined {
  const { assumeRole, externalId } = cluster;
  if (assumeRole) {
    return allowRole(assumeRole)
      ? undefined
      : `its ${ANNOTATION_KUBERNETES_AWS_ASSUME_ROLE} '${assumeRole}' is not allowed by ${ALLOWED_ASSUME_ROLES_KEY}; add the role, or a pattern that matches it, there for the portal to assume it`;
  }
  if (externalId) {
    return `it has a ${ANNOTATION_KUBERNETES_AWS_EXTERNAL_ID} but no ${ANNOTATION_KUBERNETES_AWS_ASSUME_ROLE}; an external id is only sent with a role the portal assumes, and ${ALLOWED_ASSUME_ROLES_KEY} lists those`;
  }
  return undefined;
}

/**
 * EKS API server endpoints. The token sent to a catalog cluster is a bearer
 * credential for whichever EKS cluster its x-k8s-aws-id names, so it may only
 * go to AWS's own endpoints, never to a host the entity's author chose.
 */
const EKS_ENDPOINT = /\.eks\.amazonaws\.com(\.cn)?$/;

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

function forbiddenHost(hostname: string): boolean {
  // The WHATWG parser has already turned decimal, octal and hex IPv4 forms
  // into dotted quads and wrapped IPv6 literals in brackets.
  if (IPV4.test(hostname)) return FORBIDDEN_ADDRESSES.check(hostname, 'ipv4');
  const bare = hostname.replace(/^\[|\]$/g, '');
  if (isIPv6(bare)) return FORBIDDEN_ADDRESSES.check(bare, 'ipv6');
  return false;
}

function isBase64Pem(caData: string): boolean {
  const decoded = Buffer.from(caData, 'base64').toString('utf8');
  return decoded.includes('-----BEGIN CERTIFICATE-----');
}

/** A cluster made of a catalog entity, or why there is none. */
export type CatalogClusterResult =
  | { cluster: TenancyCluster; notes: string[] }
  | {
      refused: string;
      /** Refused by config (the role allow-list), not for being malformed. */
      notAllowed?: boolean;
    };

/**
 * Turns a `kubernetes-cluster` Resource into a cluster, applying the rules
 * for clusters from an untrusted source. Reasons and notes name
 * annotation keys, never their values; the one exception is a role ARN that
 * passed the ARN check and is not allowed, which the operator needs to see.
 */
export function clusterFromCatalogEntity(
  entity: Entity,
  allowRole: RoleAllowList,
): CatalogClusterResult {
  const annotations = entity.metadata.annotations ?? {};

  const credentialKey = Object.keys(annotations).find(key =>
    CREDENTIAL_KEY.test(key),
  );
  if (credentialKey) {
    return {
      refused: `it carries the annotation '${credentialKey}', which looks like a credential; credentials for clusters belong in app-config, never in the catalog`,
    };
  }

  const rawUrl = annotations[ANNOTATION_KUBERNETES_API_SERVER];
  if (!rawUrl) {
    return { refused: `it has no ${ANNOTATION_KUBERNETES_API_SERVER}` };
  }
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return {
      refused: `its ${ANNOTATION_KUBERNETES_API_SERVER} is not a valid URL`,
    };
  }
  if (url.protocol !== 'https:') {
    return {
      refused: `its ${ANNOTATION_KUBERNETES_API_SERVER} does not use https`,
    };
  }
  if (url.username || url.password) {
    return {
      refused: `its ${ANNOTATION_KUBERNETES_API_SERVER} carries credentials`,
    };
  }
  if (url.search || url.hash) {
    return {
      refused: `its ${ANNOTATION_KUBERNETES_API_SERVER} has a query or fragment`,
    };
  }
  if (forbiddenHost(url.hostname)) {
    return {
      refused: `its ${ANNOTATION_KUBERNETES_API_SERVER} points at a link-local, unspecified or cloud metadata address`,
    };
  }

  const authProvider = annotations[ANNOTATION_KUBERNETES_AUTH_PROVIDER];
  if (authProvider === 'serviceAccount') {
    return {
      refused:
        'the serviceAccount auth provider needs a token, which the catalog may not hold; configure this cluster in app-config',
    };
  }
  if (authProvider !== 'aws') {
    return {
      refused: authProvider
        ? `its ${ANNOTATION_KUBERNETES_AUTH_PROVIDER} is not supported (supported from the catalog: aws)`
        : `it has no ${ANNOTATION_KUBERNETES_AUTH_PROVIDER}`,
    };
  }
  if (!EKS_ENDPOINT.test(url.hostname.toLowerCase())) {
    return {
      refused: `the aws auth provider is only used with EKS endpoints (*.eks.amazonaws.com), and its ${ANNOTATION_KUBERNETES_API_SERVER} is not one`,
    };
  }

  const assumeRole = annotations[ANNOTATION_KUBERNETES_AWS_ASSUME_ROLE];
  if (assumeRole !== undefined && !ROLE_ARN.test(assumeRole)) {
    return {
      refused: `its ${ANNOTATION_KUBERNETES_AWS_ASSUME_ROLE} is not an IAM role ARN`,
    };
  }
  const externalId = annotations[ANNOTATION_KUBERNETES_AWS_EXTERNAL_ID];
  const roleRefusal = catalogRoleRefusal({ assumeRole, externalId }, allowRole);
  if (roleRefusal) return { refused: roleRefusal, notAllowed: true };

  const caData = annotations[ANNOTATION_KUBERNETES_API_SERVER_CA];
  if (!caData) {
    return { refused: `it has no ${ANNOTATION_KUBERNETES_API_SERVER_CA}` };
  }
  if (!isBase64Pem(caData)) {
    return {
      refused: `its ${ANNOTATION_KUBERNETES_API_SERVER_CA} is not a base64-encoded PEM certificate`,
    };
  }

  const notes: string[] = [];
  if (annotations[ANNOTATION_KUBERNETES_SKIP_TLS_VERIFY] !== undefined) {
    notes.push(
      `its ${ANNOTATION_KUBERNETES_SKIP_TLS_VERIFY} is ignored: TLS is always verified for clusters from the catalog`,
    );
  }

  const cluster: TenancyCluster = {
    name: entity.metadata.name,
    // What was checked is what is used: the parsed form, not the raw string.
    url: url.href.replace(/\/+$/, ''),
    source: 'catalog',
    entityRef: stringifyEntityRef(entity),
    authProvider: 'aws',
    caData,
    skipTLSVerify: false,
  };
  if (assumeRole) cluster.assumeRole = assumeRole;
  if (externalId) cluster.externalId = externalId;
  const awsClusterName = annotations[ANNOTATION_KUBERNETES_AWS_CLUSTER_ID];
  if (awsClusterName) cluster.awsClusterName = awsClusterName;
  return { cluster, notes };
}
