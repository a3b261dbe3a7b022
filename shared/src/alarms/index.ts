export * from './rules';
export * from './quiet-hours';
export * from './grouping';
export * from './scripts';
export * from './settings-schema';
export * from './miss-model';
