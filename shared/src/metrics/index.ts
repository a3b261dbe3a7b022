export * from './definitions';
export * from './schemas';
export * from './types';
