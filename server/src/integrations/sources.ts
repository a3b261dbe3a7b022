import { defaultEventMapping, mappingProblems, type EventMapping, type EventSourceCreate, type EventSourceUpdate } from '@lifeline/shared/src/integrations';
import type { AppContext } from '../context';
import type { Actor } from '../auth/actor';
import { Audit, diffFields } from '../audit/audit.service';
import { badRequest, notFound } from '../http/errors';
import { isUniqueViolation } from '../db/tx';
import { insertRow } from '../db/rows';
import { EventSource } from './entities';
import { newSigningSecret } from './signing';
import type { SourceCache } from './source-cache';

/** Default fault categories of an after-sales source (an education company's: complaints and refunds count too). */
const DEFAULT_FAULT_CATEGORIES = ['故障', '投诉', '退费'];

/** Event sources, admin only: the signing secret is shown once at creation and on rotation, never again. */
export class EventSources {
  constructor(
    private readonly app: AppContext,
    private readonly cache: SourceCache,
  ) {}

  async list(actor: Actor) {
    const rows = await this.app.ds.getRepository(EventSource).find({ where: { companyId: actor.companyId }, order: { id: 'ASC' } });
    return { items: rows.map(view) };
  }

  async create(actor: Actor, input: EventSourceCreate, requestId?: string) {
    const mapping = input.mapping ?? defaultEventMapping(input.kind);
    checkMapping(input.kind, mapping);
    const secret = newSigningSecret('evsec');
    this.cache.invalidate(input.code); // an earlier miss for this code must not outlive the source's creation
    try {
      return await this.app.tx.run(async (em) => {
        const now = this.app.clock.now();
        const row = await insertRow(
          em,
          EventSource,
          em.getRepository(EventSource).create({
            companyId: actor.companyId,
            code: input.code,
            name: input.name,
            kind: input.kind,
            secret,
            mapping,
            faultCategories: input.faultCategories ?? (input.kind === 'after_sales' ? DEFAULT_FAULT_CATEGORIES : []),
            active: true,
            createdBy: actor.id,
            createdAt: now,
            updatedAt: now,
          }),
        );
        const { secret: _s, ...snapshot } = row;
        void _s;
        await new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId, at: now }).created('event_source', row.id, snapshot);
        return { ...view(row), secret };
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw badRequest(`来源代码「${input.code}」已被使用，请换一个`);
      throw err;
    }
  }

  async update(actor: Actor, id: number, patch: EventSourceUpdate, requestId?: string) {
    const result = await this.app.tx.run(async (em) => {
      const now = this.app.clock.now();
      const row = await em.getRepository(EventSource).findOneBy({ id, companyId: actor.companyId });
      if (!row) throw notFound(`事件来源不存在（ID ${id}）`);
      if (patch.mapping) checkMapping(row.kind, patch.mapping);
      const changes = diffFields(row, {
        name: patch.name,
        mapping: patch.mapping,
        faultCategories: patch.faultCategories,
        pullUrl: patch.pullUrl,
        active: patch.active,
      });
      const secret = patch.rotateSecret ? newSigningSecret('evsec') : undefined;
      const update = { ...Object.fromEntries(changes.map((c) => [c.field, c.after])), ...(secret ? { secret } : {}), updatedAt: now };
      if (changes.length || secret) {
        await em.getRepository(EventSource).update({ id }, update);
        const audited = secret ? [...changes, { field: 'secret', before: '（旧密钥）', after: '（已更换）' }] : changes;
        await new Audit(em, { companyId: actor.companyId, actorId: actor.id, requestId, at: now }).changed('event_source', id, audited);
      }
      return { ...view(Object.assign(row, update)), secret, changed: [...changes.map((c) => c.field), ...(secret ? ['secret'] : [])] };
    });
    this.cache.invalidate(result.code);
    return result;
  }
}

function checkMapping(kind: EventSource['kind'], mapping: EventMapping) {
  const problems = mappingProblems(kind, mapping);
  if (problems.length) throw badRequest(problems.join('；'));
}

function view(s: EventSource) {
  return {
    id: s.id,
    code: s.code,
    name: s.name,
    kind: s.kind,
    mapping: s.mapping,
    faultCategories: s.faultCategories,
    pullUrl: s.pullUrl,
    active: s.active,
    url: `/api/events/in/${s.code}`,
    createdAt: s.createdAt,
  };
}
