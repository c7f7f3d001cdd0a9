export { AsyncContent } from './AsyncContent';
export { HealthChip, healthSeverity, healthWord } from './HealthChip';
export { PolicyBadges } from './PolicyBadges';
export { fullestQuota, QuotaBars } from './QuotaBars';
export { formatAge, RefreshStatus } from './RefreshStatus';
export {
  ClusterErrorText,
  clusterErrorText,
  isAccessError,
  serverMessage,
  StaleDataWarning,
  statusOf,
  TenancyErrorView,
} from './TenancyErrorView';
export { REFRESH_INTERVAL_MS, useAutoRefresh } from './useAutoRefresh';
export type { AutoRefreshState } from './useAutoRefresh';
export { shortRef } from './shortRef';
export { errorText, readableText, textOn, warningText } from './textColors';
export { ReadableChip } from './ReadableChip';
export { closeAccountLink, offboardLink, resizeLink } from './dayTwoLinks';
export type { NamespaceTarget } from './dayTwoLinks';
export { namespaceResourceOf } from './namespaceResource';
export { ownerRefOf } from './ownerRef';
