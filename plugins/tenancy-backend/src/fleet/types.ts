import { ClusterError } from '@tenancy/plugin-tenancy-common';

/** What one refresh learnt about one pod. @public */
export interface PodSnapshot {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  phase: string;
  ready: boolean;
  restarts: number;
  /** Waiting reasons of its containers, e.g. CrashLoopBackOff, ImagePullBackOff. */
  waiting: string[];
}

/** @public */
export interface WorkloadSnapshot {
  kind: 'Deployment' | 'StatefulSet';
  namespace: string;
  name: string;
  labels: Record<string, string>;
  /** spec.selector.matchLabels: which pods are its. */
  selector: Record<string, string>;
  desired: number;
  ready: number;
}

/**
 * One cluster at one moment, as the views need it — never Secrets, never a
 * credential. Either data (reachable, no error) or an error.
 * @public
 */
export interface ClusterSnapshot {
  name: string;
  environment?: string;
  fetchedAt: string;
  durationMs: number;
  reachable: boolean;
  error?: ClusterError;
  version?: string;
  latencyMs?: number;
  nodes?: { total: number; ready: number };
  namespaces?: Array<{
    name: string;
    phase?: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
  }>;
  quotas?: Array<{
    namespace: string;
    name: string;
    hard: Record<string, string>;
    used: Record<string, string>;
  }>;
  limitRanges?: Array<{ namespace: string; name: string }>;
  networkPolicies?: Array<{
    namespace: string;
    name: string;
    defaultDeny: boolean;
  }>;
  roleBindings?: Array<{
    namespace: string;
    name: string;
    role: string;
    subjects: string[];
  }>;
  workloads?: WorkloadSnapshot[];
  pods?: PodSnapshot[];
  events?: Array<{
    namespace: string;
    kind: string;
    name: string;
    reason: string;
    message: string;
    count: number;
    lastSeen?: string;
  }>;
}

/** Every cluster at one refresh. @public */
export interface FleetSnapshot {
  generatedAt: string;
  clusters: ClusterSnapshot[];
}
