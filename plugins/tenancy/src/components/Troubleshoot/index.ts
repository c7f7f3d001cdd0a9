export {
  OpenPodsButton,
  WorkloadPodsDialog,
  WorkloadPodsView,
} from './WorkloadPods';
