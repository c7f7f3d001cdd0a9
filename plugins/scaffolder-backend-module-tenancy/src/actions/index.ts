export { createOnboardNamespaceAction, ONBOARD_ACTION_ID } from './onboard';
export type { OnboardNamespaceActionOptions } from './onboard';
export { createOffboardNamespaceAction, OFFBOARD_ACTION_ID } from './offboard';
export type { OffboardNamespaceActionOptions } from './offboard';
export { createResizeNamespaceAction, RESIZE_ACTION_ID } from './resize';
export type { ResizeNamespaceActionOptions } from './resize';
export type { ClusterReport } from './clusters';
