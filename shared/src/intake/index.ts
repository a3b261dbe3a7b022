export * from './json-path';
export * from './normalise';
export * from './mapping';
export * from './schemas';
