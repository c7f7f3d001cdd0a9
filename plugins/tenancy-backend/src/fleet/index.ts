export * from './collect';
export * from './options';
export * from './types';
export * from './views';
