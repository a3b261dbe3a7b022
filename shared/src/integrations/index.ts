export * from './mapping';
export * from './health';
export * from './schemas';
export * from './webhooks';
