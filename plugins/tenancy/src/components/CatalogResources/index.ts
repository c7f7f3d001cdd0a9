export { NamespaceResourceCard } from './NamespaceResourceCard';
export { ClusterResourceCard } from './ClusterResourceCard';
