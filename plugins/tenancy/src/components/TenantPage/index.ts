export { TenantEntityContent, TenantPage } from './TenantPage';
export { TenantView } from './TenantView';
