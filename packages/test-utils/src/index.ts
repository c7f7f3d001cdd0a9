/**
 * Test helpers shared by the suite's packages: scaffolder action contexts,
 * permission decisions and team membership as the sandbox's seed has them,
 * the sandbox's AWS organization, and the test databases.
 *
 * @packageDocumentation
 */
export * from './actions';
export * from './aws';
export * from './databases';
export * from './wait';
