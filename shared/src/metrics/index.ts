export * from './definitions';
export * from './schemas';
export * from './types';
export * from './arithmetic';
