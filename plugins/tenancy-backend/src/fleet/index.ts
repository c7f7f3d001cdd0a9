export * from './collect';
export * from './options';
export * from './pods';
export * from './types';
export * from './views';
