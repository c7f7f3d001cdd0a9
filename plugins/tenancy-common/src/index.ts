/**
 * Shared by every Tenancy package: the labels and annotations the suite puts
 * on what it provisions, and its permissions.
 *
 * @packageDocumentation
 */
export * from './entities';
export * from './labels';
export * from './permissions';
export * from './api';
export * from './client';
