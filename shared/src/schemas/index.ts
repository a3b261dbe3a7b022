export * from './common';
export * from './text';
export * from './auth';
export * from './leads';
export * from './followups';
export * from './scripts';
export * from './users';
export * from './vocabulary';
