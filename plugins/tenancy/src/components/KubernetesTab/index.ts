export { GatedKubernetesContent } from './KubernetesTab';
