export * from './policy';
export * from './authorizeTenantAction';
export * from './namespaces';
