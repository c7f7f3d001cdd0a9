export * from './policy';
export * from './authorizeTenantAction';
export * from './namespaces';
export * from './authorizeTenant';
