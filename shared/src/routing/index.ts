export * from './rules';
export * from './wrr';
export * from './eligibility';
export * from './schemas';
export * from './experiment';
