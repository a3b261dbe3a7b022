export * from './field-lift';
