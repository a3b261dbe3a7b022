export * from './mapping';
export * from './health';
export * from './schemas';
