export * from './policy';
export * from './authorizeTenantAction';
