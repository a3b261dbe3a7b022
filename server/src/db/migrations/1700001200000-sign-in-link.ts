import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { int, ms, pk, str } from './schema-helpers';

/**
 * One-time sign-in links (docs/onboarding.md): `npm run company:create` prints one for the first admin, an admin can
 * issue one for any user of the company. Only the token's SHA-256 is stored; `usedAt` is set by the one conditional
 * UPDATE that consumes it, so a link works once however many times it is opened at the same moment.
 */
export class SignInLink1700001200000 implements MigrationInterface {
  name = 'SignInLink1700001200000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'sign_in_link',
        columns: [pk(), int('companyId'), int('userId'), str('tokenHash', 64), ms('expiresAt'), ms('usedAt', true), int('createdBy', true), ms('createdAt')],
        indices: [
          new TableIndex({ name: 'uq_sign_in_link_hash', columnNames: ['tokenHash'], isUnique: true }),
          new TableIndex({ name: 'idx_sign_in_link_user', columnNames: ['companyId', 'userId'] }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('sign_in_link');
  }
}
