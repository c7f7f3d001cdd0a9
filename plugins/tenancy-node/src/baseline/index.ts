export * from './apply';
export * from './options';
export * from './render';
export * from './validation';
