import { TableColumn, type QueryRunner, type TableColumnOptions } from 'typeorm';

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

/**
 * A nullable column added or dropped in place. TypeORM adds/drops a SQLite column by rebuilding the table, which fails
 * once other tables hold foreign keys to its rows (lead ← followup); SQLite's own ALTER TABLE keeps rows and keys.
 */
export async function addNullableColumn(q: QueryRunner, table: string, o: TableColumnOptions): Promise<void> {
  if (q.connection.options.type === 'mysql') return q.addColumn(table, new TableColumn(o));
  const type = o.type === 'varchar' ? `varchar(${o.length})` : o.type === 'int' ? 'integer' : o.type;
  await q.query(`ALTER TABLE \`${table}\` ADD COLUMN \`${o.name}\` ${type} NULL`);
}

export async function dropColumnInPlace(q: QueryRunner, table: string, name: string): Promise<void> {
  if (q.connection.options.type === 'mysql') return q.dropColumn(table, name);
  await q.query(`ALTER TABLE \`${table}\` DROP COLUMN \`${name}\``);
}
