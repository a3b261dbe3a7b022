import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { addNullableColumn, dropColumnInPlace, int, ms, pk, str } from './schema-helpers';

/**
 * A/B tests of routing rules (docs/intake-routing.md): each experiment (control = previous version, treatment = the
 * saved one, the holdout share, its hash salt and stopping rules), and on every automatic routing decision the
 * experiment and arm the lead was routed by.
 */
export class RoutingExperiments1700002200000 implements MigrationInterface {
  name = 'RoutingExperiments1700002200000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'routing_experiment',
        columns: [
          pk(),
          int('companyId'),
          int('controlVersion'),
          int('treatmentVersion'),
          int('holdoutPermille'),
          str('salt', 32),
          int('minSample'),
          int('harmPermille'),
          str('status', 16),
          str('stopReason', 200, true),
          int('createdBy', true),
          ms('startedAt'),
          ms('stoppedAt', true),
        ],
        indices: [new TableIndex({ name: 'idx_routing_experiment_company', columnNames: ['companyId', 'status'] })],
      }),
    );
    await addNullableColumn(q, 'routing_decision', int('experimentId', true));
    await addNullableColumn(q, 'routing_decision', str('arm', 16, true));
    await q.createIndex('routing_decision', new TableIndex({ name: 'idx_routing_decision_experiment', columnNames: ['companyId', 'experimentId'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('routing_decision', 'idx_routing_decision_experiment');
    await dropColumnInPlace(q, 'routing_decision', 'arm');
    await dropColumnInPlace(q, 'routing_decision', 'experimentId');
    await q.dropTable('routing_experiment');
  }
}
