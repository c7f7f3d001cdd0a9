import { calculateJwkThumbprint, exportJWK, JWK, SignJWT } from 'jose';
import { createPublicKey, KeyObject, randomUUID } from 'node:crypto';
import { ClusterAccessOptions } from './options';

/** The audience of a cluster's tokens: a token for one cluster is refused by every other. */
export function clusterAudience(cluster: string): string {
  return `tenancy:${cluster}`;
}

/** A public key as a JWK, named by its RFC 7638 thumbprint. */
async function publicJwk(
  key: KeyObject,
  algorithm: string,
): Promise<JWK & { kid: string }> {
  const jwk = await exportJWK(key);
  return {
    ...jwk,
    kid: await calculateJwkThumbprint(jwk),
    alg: algorithm,
    use: 'sig',
  };
}

/** What a cluster token says about its holder. */
export interface ClusterTokenSubject {
  /** The Backstage user entity ref: the Kubernetes user name. */
  user: string;
  /** Kubernetes group names (the tenant baseline's RoleBinding subjects). */
  groups: string[];
  cluster: string;
}

/**
 * Signs the tokens tenant clusters accept (ES256 or RS256, audience bound to one
 * cluster, at most an hour) and publishes what the clusters need to check
 * them: the OpenID discovery document and the public key set.
 */
export class ClusterTokenIssuer {
  private publicJwk?: Promise<JWK & { kid: string }>;
  private keySet?: Promise<{ keys: JWK[] }>;

  constructor(private readonly options: ClusterAccessOptions) {}

  get issuer(): string {
    return this.options.issuer;
  }

  private async jwk(): Promise<JWK & { kid: string }> {
    this.publicJwk ??= publicJwk(
      createPublicKey(this.options.signingKey),
      this.options.algorithm,
    );
    return this.publicJwk;
  }

  /** `{issuer}/.well-known/openid-configuration`: where the clusters find the keys. */
  discoveryDocument() {
    return {
      issuer: this.options.issuer,
      jwks_uri: `${this.options.issuer}/jwks`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: [
        ...new Set([
          this.options.algorithm,
          ...this.options.additionalKeys.map(k => k.algorithm),
        ]),
      ],
      claims_supported: ['sub', 'groups', 'aud', 'exp', 'iat', 'iss', 'jti'],
    };
  }

  /**
   * `{issuer}/jwks`: the public key, never the private one — and the
   * `additionalPublicKeys`, so that a rotation cuts off no token: the next
   * key is published before any replica signs with it, the previous one
   * until the tokens it signed have expired. Each key once.
   */
  async jwks(): Promise<{ keys: JWK[] }> {
    this.keySet ??= (async () => {
      const keys = new Map<string, JWK>();
      for (const jwk of [
        await this.jwk(),
        ...(await Promise.all(
          this.options.additionalKeys.map(k => publicJwk(k.key, k.algorithm)),
        )),
      ]) {
        if (!keys.has(jwk.kid)) keys.set(jwk.kid, jwk);
      }
      return { keys: [...keys.values()] };
    })();
    return this.keySet;
  }

  async issue(
    subject: ClusterTokenSubject,
  ): Promise<{ token: string; expiresAt: Date; id: string }> {
    const { kid } = await this.jwk();
    const id = randomUUID();
    const now = Math.floor(Date.now() / 1000);
    const exp = now + Math.floor(this.options.tokenLifetimeMs / 1000);
    const token = await new SignJWT({ groups: subject.groups })
      .setProtectedHeader({ alg: this.options.algorithm, kid, typ: 'JWT' })
      .setJti(id)
      .setIssuer(this.options.issuer)
      .setSubject(subject.user)
      .setAudience(clusterAudience(subject.cluster))
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .sign(this.options.signingKey);
    return { token, expiresAt: new Date(exp * 1000), id };
  }
}
