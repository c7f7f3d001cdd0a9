export * from './collect';
export * from './types';
export * from './views';
