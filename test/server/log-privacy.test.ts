import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { createLogger } from '../../server/src/logger';
import { Repository } from 'typeorm';
import { Customer } from '../../server/src/customers/customer.entity';
import { describeEachDb, Harness } from '../support/harness';

/** Every line the app's logger (root and per-request children) writes. */
class Capture extends Writable {
  lines: string[] = [];
  override _write(chunk: Buffer, _enc: string, done: () => void) {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
}

/** Independent of the masking code: full-width digits as ASCII, every other character dropped. */
const digitsOf = (text: string) => text.replace(/[\uFF10-\uFF19]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).replace(/\D/g, '');

describeEachDb('logs: a database error that carries a phone never writes the number', (kind) => {
  const out = new Capture();
  let h: Harness;
  /** Phones whose customer a colleague's process inserts between the lead's lookup and its INSERT (a real unique violation). */
  const racing = new Set<string>();

  beforeAll(async () => {
    h = await new Harness(kind, 10, {}, { logger: createLogger(out, 'info') }).start();
    // The race, made certain: the lookup misses the customer inserted "meanwhile", so the INSERT meets the unique key.
    const findOneBy = Repository.prototype.findOneBy;
    vi.spyOn(Repository.prototype, 'findOneBy').mockImplementation(async function (this: Repository<any>, where: any) {
      if (this.metadata.target === Customer && racing.has(where?.phone)) return null;
      return findOneBy.call(this, where);
    });
    // No retry, so the violation reaches the error handler and the import job as it is.
    vi.spyOn(h.app.tx, 'runRetryingUnique').mockImplementation((work) => h.app.tx.run(work));
  });
  async function race(phone: string) {
    await h.ds.getRepository(Customer).insert({
      companyId: h.seed.companyId,
      phone,
      name: null,
      province: null,
      city: null,
      carrier: null,
      grade: null,
      concerns: [],
      tags: [],
      createdBy: null,
      createdAt: 0,
      updatedAt: 0,
      deletedAt: null,
    });
    racing.add(phone);
  }
  afterAll(async () => {
    vi.restoreAllMocks();
    await h?.stop();
  });

  function leaksOf(phone: string): string[] {
    return out.lines.filter((l) => digitsOf(l).includes(phone) || /(?<!\d)1[3-9]\d{9}(?!\d)/.test(l));
  }

  it('POST /api/leads hitting a unique violation on the customer phone: a 500, logged without the number', async () => {
    const phone = '13915449988';
    await race(phone);
    const from = out.lines.length;
    const r = await h.req('POST', '/api/leads', { as: '系统管理员', body: { phone: '139 1544 9988', channel: '百度-品牌词' } });
    expect(r.status).toBe(500);
    expect(r.text).not.toContain('1544');
    const logged = out.lines.slice(from).map((l) => JSON.parse(l));
    const failure = logged.find((l) => l.msg === 'unhandled error');
    expect(failure, 'the error was logged').toBeTruthy();
    expect(failure.err.type).toBe('QueryFailedError');
    expect(failure.err.parameters).toBeUndefined();
    expect(failure.err.message).toBeTruthy();
    expect(leaksOf(phone)).toEqual([]);
  });

  it('an import whose row hits the same violation: the job fails, logged without the number', async () => {
    const phone = '13915447766';
    await race(phone);
    const from = out.lines.length;
    const csv = `手机号,称呼\n${phone},张妈妈\n`;
    const r = await h.req('POST', '/api/imports?channel=地推-展会二维码&filename=t.csv', {
      as: '系统管理员',
      raw: csv,
      headers: { 'content-type': 'text/csv', prefer: 'wait' },
    });
    expect(r.status).toBe(202);
    await vi.waitFor(() => expect(out.lines.slice(from).some((l) => l.includes('import failed'))).toBe(true));
    const failure = out.lines
      .slice(from)
      .map((l) => JSON.parse(l))
      .find((l) => l.msg === 'import failed');
    expect(failure.err.type).toBe('QueryFailedError');
    expect(leaksOf(phone)).toEqual([]);
  });

  it('every logger line masks phones however they are written: messages, fields, keys, numbers, nested causes', () => {
    const log = createLogger(out, 'info').child({ reqId: 'x' });
    const from = out.lines.length;
    const cause = Object.assign(new Error("Duplicate entry '1-13915446655' for key 'uq'"), {
      sql: "INSERT … VALUES (1,'13915446655')",
      sqlMessage: "Duplicate entry '1-13915446655'",
    });
    log.error({ err: Object.assign(new Error('wrapped', { cause }), { parameters: [1, '13915446655'] }) }, 'failed');
    log.info({ body: { mobile: '１３９ １５４４ ６６５５', n: 8613915446655, '139.1544.6655': true } }, '打给 139–1544–6655');
    log.warn(new Error('bad 13915446655'));
    expect(out.lines.length - from).toBe(3);
    expect(leaksOf('13915446655')).toEqual([]);
    expect(out.lines.slice(from).join('\n')).toContain('139****6655');
  });
});
