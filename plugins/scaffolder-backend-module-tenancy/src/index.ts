/**
 * Scaffolder actions that onboard and offboard tenant namespaces — the full
 * tenant baseline — on every cluster of an environment.
 *
 * @packageDocumentation
 */
export { scaffolderModuleTenancy as default } from './module';
export * from './actions';
