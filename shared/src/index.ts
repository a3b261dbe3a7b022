export * from './vocabulary';
export * from './journey';
export * from './scoring';
export * from './schemas';
export * from './phone';
export * from './alarms';
export * from './dates';
export * from './summarize';
