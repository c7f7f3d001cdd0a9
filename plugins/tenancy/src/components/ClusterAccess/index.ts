export { ClusterAccessCard } from './ClusterAccessCard';
export type { ClusterAccessFilter } from './ClusterAccessCard';
export { ClusterAccessEntityCard } from './ClusterAccessEntityCard';
