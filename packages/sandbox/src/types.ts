/**
 * The shapes of a running sandbox, shared by `up` (which writes them), the
 * portal overlay and the test fixtures (which read them). Kept apart from
 * the code so that none of those modules has to import another for a type.
 */
import type { OrganizationSeed } from './aws/organization';
import type { SandboxGitState } from './gitea';
import type { ClusterEndpoint } from './kube';

export type Log = (message: string) => void;

export interface SandboxIdentity {
  user: string;
  groups: string[];
  token: string;
}

export interface SandboxClusterState extends ClusterEndpoint {
  environment: 'dev' | 'prod';
  etcdPrefix: string;
  /** The API server's audit log (JSON lines): who did what (issue #18). */
  auditLog: string;
  /**
   * `admin` (system:masters, for the sandbox itself and tests' setup),
   * `platform` (the portal backend: ClusterRole tenancy-portal), and one per
   * tenant user (`alice`, `bob`, `carol`: no cluster-wide rights at all).
   */
  identities: Record<string, SandboxIdentity>;
}

export interface SandboxState {
  kubernetesVersion: string;
  clusters: SandboxClusterState[];
  /**
   * Endpoints that fail the way an unreachable cluster does, so that the
   * multi-cluster views' tests can prove one bad cluster does not stall
   * the others.
   */
  endpoints: {
    /** Accepts TCP connections and never answers. */
    blackhole: string;
    /** Nothing listens: connections are refused. */
    refused: string;
  };
  aws: {
    region: string;
    /** moto itself. */
    motoUrl: string;
    /** The fault layer in front of moto: what the portal talks to. */
    endpoint: string;
    /** The fault layer's admin API (`fault aws ...`, FaultClient). */
    faultsUrl: string;
    organization: OrganizationSeed;
  };
  /**
   * Gitea. Its admin's password and the portal's token are not here but in
   * git-identity.json (mode 0600): readGitCredentials().
   */
  git: SandboxGitState;
  /**
   * The portal as the clusters' identity provider: the issuer every
   * cluster's JWT authenticator trusts (https, its own CA). The signing key
   * is in the overlay (`tenancy.clusterAccess.signingKey`), not here.
   */
  clusterAccess: {
    issuer: string;
    /** The issuer's CA (PEM). */
    caPem: string;
  };
  overlay: string;
}
