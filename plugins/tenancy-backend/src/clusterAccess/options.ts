import { Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';
import { createPrivateKey, createPublicKey, KeyObject } from 'node:crypto';

/** At most an hour: a token outlives a removal from a team by at most this long. */
export const MAX_TOKEN_LIFETIME_MS = 60 * 60 * 1000;
/** Shorter tokens than this would expire between kubectl's calls. */
const MIN_TOKEN_LIFETIME_MS = 5 * 1000;
const DEFAULT_TOKEN_LIFETIME_MS = 15 * 60 * 1000;

const DEFAULT_COMMAND = 'tenancy-kube-login';
const DEFAULT_INSTALL_COMMAND =
  'npm install --global @tenancy/kube-login && tenancy-kube-login setup --portal {portal} --team {team}';

const KEY_KINDS =
  'an EC P-256 key (tokens signed ES256: `openssl ecparam -name prime256v1 -genkey -noout | openssl pkcs8 -topk8 -nocrypt`) or an RSA key of at least 2048 bits (RS256, for EKS: `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`)';

function algorithmOf(key: KeyObject): 'ES256' | 'RS256' | undefined {
  if (
    key.asymmetricKeyType === 'ec' &&
    key.asymmetricKeyDetails?.namedCurve === 'prime256v1'
  ) {
    return 'ES256';
  }
  if (
    key.asymmetricKeyType === 'rsa' &&
    (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048
  ) {
    return 'RS256';
  }
  return undefined;
}

/** "an rsa key of 1024 bits", "an ec key on secp384r1": what a key is, never its text. */
function describeKey(key: KeyObject): string {
  const details = key.asymmetricKeyDetails;
  if (details?.modulusLength) {
    return `an ${key.asymmetricKeyType} key of ${details.modulusLength} bits`;
  }
  if (details?.namedCurve) {
    return `an ${key.asymmetricKeyType} key on ${details.namedCurve}`;
  }
  return `an ${key.asymmetricKeyType} key`;
}

/** `tenancy.clusterAccess`, read and checked (see config.d.ts). */
export interface ClusterAccessOptions {
  /** The https URL every cluster trusts as the issuer; the tokens' `iss`. */
  issuer: string;
  /** The private key the tokens are signed with. */
  signingKey: KeyObject;
  /** ES256 for an EC P-256 key, RS256 for an RSA key (what EKS accepts). */
  algorithm: 'ES256' | 'RS256';
  /**
   * Public keys published beside `signingKey`'s (key rotation): the next
   * key before replicas switch to it, the previous one until the tokens it
   * signed have expired.
   */
  additionalKeys: Array<{ key: KeyObject; algorithm: 'ES256' | 'RS256' }>;
  tokenLifetimeMs: number;
  /** The kubeconfigs' exec credential plugin: the command kubectl runs. */
  command: string;
  /** Shown beside a kubeconfig; `{portal}` and `{team}` are filled in. */
  installCommand: string;
}

/**
 * `tenancy.clusterAccess`, or undefined when it is not set (the portal then
 * issues no cluster tokens and says so). Throws, at startup, on a setting
 * that cannot work: an issuer that is not https (Kubernetes refuses one), a
 * key that is not an EC P-256 private key, a lifetime above an hour.
 */
export function readClusterAccessOptions(
  config: Config,
): ClusterAccessOptions | undefined {
  const access = config.getOptionalConfig('tenancy.clusterAccess');
  if (!access) return undefined;
  const issuer = access.getString('issuer').replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new Error(
      `tenancy.clusterAccess.issuer must be a URL, not "${issuer}"`,
    );
  }
  if (url.protocol !== 'https:' || url.search || url.hash) {
    throw new Error(
      `tenancy.clusterAccess.issuer must be an https URL without query or fragment (Kubernetes accepts no other issuer), not "${issuer}"`,
    );
  }
  let signingKey: KeyObject;
  try {
    signingKey = createPrivateKey(access.getString('signingKey'));
  } catch {
    // Never the key's text in the message.
    throw new Error(
      `tenancy.clusterAccess.signingKey must be a PEM private key: ${KEY_KINDS}`,
    );
  }
  const algorithm = algorithmOf(signingKey);
  if (!algorithm) {
    throw new Error(
      `tenancy.clusterAccess.signingKey must be ${KEY_KINDS}, not a ${signingKey.asymmetricKeyType} key`,
    );
  }
  const additionalKeys = (
    access.getOptionalStringArray('additionalPublicKeys') ?? []
  ).map((pem, index) => {
    const setting = `tenancy.clusterAccess.additionalPublicKeys[${index}]`;
    let isPrivate = true;
    try {
      createPrivateKey(pem);
    } catch {
      isPrivate = false;
    }
    if (isPrivate) {
      // Never the key's text in the message.
      throw new Error(
        `${setting} is a private key: give only its public half (openssl pkey -pubout), and keep the private key out of config that is not secret`,
      );
    }
    let key: KeyObject;
    try {
      key = createPublicKey(pem);
    } catch {
      throw new Error(
        `${setting} must be a PEM public key (openssl pkey -pubout of a signing key)`,
      );
    }
    const published = algorithmOf(key);
    if (!published) {
      throw new Error(
        `${setting} must be an EC P-256 or RSA public key of at least 2048 bits, not ${describeKey(
          key,
        )}`,
      );
    }
    return { key, algorithm: published };
  });
  const tokenLifetimeMs = access.has('tokenLifetime')
    ? durationToMilliseconds(
        readDurationFromConfig(access, { key: 'tokenLifetime' }),
      )
    : DEFAULT_TOKEN_LIFETIME_MS;
  if (
    tokenLifetimeMs > MAX_TOKEN_LIFETIME_MS ||
    tokenLifetimeMs < MIN_TOKEN_LIFETIME_MS
  ) {
    throw new Error(
      `tenancy.clusterAccess.tokenLifetime must be from 5 seconds to 1 hour, not ${Math.round(
        tokenLifetimeMs / 1000,
      )} seconds`,
    );
  }
  return {
    issuer,
    signingKey,
    algorithm,
    additionalKeys,
    tokenLifetimeMs,
    command: access.getOptionalString('command') ?? DEFAULT_COMMAND,
    installCommand:
      access.getOptionalString('installCommand') ?? DEFAULT_INSTALL_COMMAND,
  };
}
