import { TableColumn, type TableColumnOptions } from 'typeorm';

// Column builders for migrations, written once so every table uses the same portable types.
export const pk = (): TableColumnOptions => ({
  name: 'id',
  type: 'integer',
  isPrimary: true,
  isGenerated: true,
  generationStrategy: 'increment',
});
export const int = (name: string, nullable = false, dflt?: number): TableColumnOptions => ({
  name,
  type: 'int',
  isNullable: nullable,
  ...(dflt !== undefined ? { default: dflt } : {}),
});
export const ms = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'bigint', isNullable: nullable });
export const str = (name: string, length: number, nullable = false): TableColumnOptions => ({
  name,
  type: 'varchar',
  length: String(length),
  isNullable: nullable,
});
export const text = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'text', isNullable: nullable });
export const bool = (name: string, dflt: boolean): TableColumnOptions => ({ name, type: 'boolean', default: dflt });
export const column = (o: TableColumnOptions) => new TableColumn(o);
