import { DEFAULT_LEVEL_A } from '@lifeline/shared';
import { MEASURE_NAMES, rebuildRollups } from '../../server/src/metrics/rollup';
import { refreshLeadFacts } from '../../server/src/metrics/facts';
import type { Harness } from './harness';

type Row = Record<string, unknown>;

const factRows = async (h: Harness): Promise<Row[]> =>
  ((await h.ds.query('SELECT * FROM lead_fact ORDER BY leadId')) as Row[]).map(({ updatedAt: _u, ...rest }) =>
    Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, v === null ? null : String(v)])),
  );

const rollupRows = async (h: Harness): Promise<Row[]> => {
  const cols = MEASURE_NAMES.join(', ');
  return ((await h.ds.query(`SELECT shape, day, ownerId, orgUnitId, dim, ${cols} FROM lead_rollup ORDER BY shape, day, ownerId, orgUnitId, dim`)) as Row[])
    .filter((row) => MEASURE_NAMES.some((m) => Number(row[m]) !== 0))
    .map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, k === 'shape' || k === 'dim' ? String(v) : Number(v)])));
};

const timerRows = async (h: Harness): Promise<Row[]> =>
  ((await h.ds.query('SELECT leadId, rule, dueAt, state, firedAt FROM alarm_timer ORDER BY leadId, rule')) as Row[]).map((r) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? null : String(v)])),
  );

/**
 * The derived state as stored, then as a recomputation from source rows gives it: every lead's fact recomputed, the
 * rollups rebuilt from the facts. Equal pairs mean nothing derived is stale or double-counted. (The recomputation is
 * written: call it last.)
 */
export async function storedAndRecomputed(h: Harness, companyId = h.seed.companyId) {
  const stored = { facts: await factRows(h), rollups: await rollupRows(h) };
  const ids = ((await h.ds.query('SELECT id FROM `lead` WHERE companyId = ?', [companyId])) as { id: unknown }[]).map((x) => Number(x.id));
  await h.app.tx.run((em) => refreshLeadFacts(em, companyId, ids));
  const factsAgain = await factRows(h);
  await h.app.tx.run((em) => rebuildRollups(em, companyId, DEFAULT_LEVEL_A));
  return { stored, recomputed: { facts: factsAgain, rollups: await rollupRows(h) } };
}

export { timerRows };
