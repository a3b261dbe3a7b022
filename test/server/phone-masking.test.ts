import { afterAll, beforeAll, expect, it } from 'vitest';
import { ROLES, type Role } from '@lifeline/shared';
import { AlarmEngine, backfillTimers } from '../../server/src/alarms';
import { FEATURED_CUSTOMER } from '../../server/src/demo/seed';
import { DEFAULT_SETTINGS } from '../../server/src/companies/settings';
import { FakeWecom } from '../fakes/wecom-server';
import { describeEachDb, Harness, type Res } from '../support/harness';

const USER_OF: Record<Role, string> = { rep: '张敏', supervisor: '李静', ops: '黄蓉', director: '马骏', admin: '系统管理员' };
const H = 3600_000;

/**
 * Which of `known` (11-digit phones) a text shows in full, however they are written: spaces, dots, dashes, brackets,
 * full-width digits, a +86 prefix, a JSON number, a key. Independent of the production masker: full-width digits become
 * ASCII, every other non-digit character is dropped, then each known phone is searched for. (Searching only for the
 * company's own phones keeps adjacent numbers that happen to run together from counting as a phone.)
 */
function phonesIn(text: string, known: string[]): string[] {
  const digits = text.replace(/[\uFF10-\uFF19]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).replace(/\D/g, '');
  return known.filter((p) => digits.includes(p));
}

describeEachDb('phones: masked roles never see a full number; reveal-phone is the only way', (kind) => {
  const wecom = new FakeWecom();
  let h: Harness;
  let featured: { leadId: number; customerId: number };
  let colleaguePhone: string;
  let intakeLeadId: number;

  beforeAll(async () => {
    await wecom.start();
    h = await new Harness(kind, 40, { wecom: { corpId: wecom.corpId, agentId: 1000002, secret: wecom.secret, apiBase: wecom.base } }).start();
    const [f] = await h.ds.query('SELECT l.id, l.customerId FROM `lead` l JOIN customer c ON c.id = l.customerId WHERE c.phone = ?', [FEATURED_CUSTOMER.phone]);
    featured = { leadId: Number(f.id), customerId: Number(f.customerId) };
    const chen = await h.user('陈晨');
    const [c] = await h.ds.query('SELECT c.phone FROM customer c JOIN `lead` l ON l.customerId = c.id WHERE l.ownerId = ? ORDER BY l.id LIMIT 1', [chen.id]);
    colleaguePhone = String(c.phone);
    // The chat contact: 张敏's remark holds 王妈妈's number; 陈晨 recorded his own customer's number on it.
    await h.ds.query("UPDATE app_user SET wecomUserId = 'zhangmin' WHERE name = '张敏'");
    await h.ds.query("UPDATE app_user SET wecomUserId = 'chenchen' WHERE name = '陈晨'");
    wecom.route(
      'GET',
      '/cgi-bin/externalcontact/get',
      wecom.authed(() => ({
        errcode: 0,
        errmsg: 'ok',
        external_contact: { external_userid: 'wmWang', name: '王妈妈', type: 1 },
        follow_user: [
          { userid: 'chenchen', remark: '', remark_mobiles: [colleaguePhone] },
          { userid: 'zhangmin', remark: '王妈妈-初三', remark_mobiles: ['+86 139-1544-1234'] },
        ],
      })),
    );

    // A rep types a number into a conclusion; the timeline, follow-ups and audit carry it.
    const fu = await h.req('POST', '/api/followups', {
      as: '张敏',
      headers: { 'idempotency-key': `mask-${kind}-1` },
      body: { leadId: featured.leadId, action: '已电话沟通', conclusion: `家长另留号码 139-1544-1234，晚上打` },
    });
    expect(fu.status).toBe(201);
    // The same number as people really write it: dots, other groupings, en dashes, full-width digits, +86 glued on.
    const spelled = await h.req('POST', '/api/followups', {
      as: '张敏',
      headers: { 'idempotency-key': `mask-${kind}-2` },
      body: {
        leadId: featured.leadId,
        action: '已电话沟通',
        conclusion: `备用 139.1544.1234；爸爸 139 154 41234；139–1544–1234；１３９１５４４１２３４；8613915441234`,
      },
    });
    expect(spelled.status).toBe(201);
    // A lead whose name carries a number.
    const named = await h.req('POST', '/api/leads', {
      as: '系统管理员',
      body: { phone: '13915440055', name: '王妈妈 139–1544–1234', channel: '百度-品牌词', ownerId: (await h.user('张敏')).id },
    });
    expect(named.status).toBe(201);
    // A lead through the intake API: its raw payload (with the phone as sent) is archived.
    const ch = await h.req('POST', '/api/intake-channels', {
      as: '系统管理员',
      body: { code: 'mask-landing', name: '落地页', tag: '抖音-202601直播', mapping: { phone: '$.form.mobile', name: '$.form.name', externalId: '$.id' } },
    });
    expect(ch.status).toBe(201);
    const sent = await h.req('POST', '/api/intake/mask-landing', {
      headers: { 'x-intake-key': ch.body.key },
      body: {
        id: 'm-1',
        form: { mobile: '139 1544 7788', name: '测试妈妈' },
        // What else a form sends: the number as a JSON number with 86, full-width, and as a key.
        extra: { backup: 8613915447788, alt: '１３９ １５４４ ７７８８', contacts: { '139.1544.7788': '妈妈' } },
      },
    });
    expect(sent.status).toBe(201);
    intakeLeadId = sent.body.leadId;
    // Imports by a supervisor and by ops: one known customer, one new number, one broken row.
    for (const as of ['李静', '黄蓉']) {
      const csv = `手机号,称呼\n${FEATURED_CUSTOMER.phone},王妈妈\n1391544${as === '李静' ? '8801' : '8802'},新妈妈\n139154412,坏号\n`;
      const imp = await h.req('POST', '/api/imports?channel=地推-展会二维码&filename=t.csv', {
        as,
        raw: csv,
        headers: { 'content-type': 'text/csv', prefer: 'wait' },
      });
      expect(imp.status).toBe(202);
    }
    // Alarm cards for the seeded overdue leads, shown on the console.
    await backfillTimers(h.app);
    h.clock.advance(H);
    await new AlarmEngine(h.app, { leaseMs: 30_000 }).tick();
    h.clock.advance(-H);
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
    await wecom.stop();
  });

  /** Every response that can carry a phone, as this user sees it. */
  async function walk(as: string): Promise<[string, Res][]> {
    const me = await h.user(as);
    const imports = (await h.req('GET', '/api/imports', { as })).body.items as { id: number }[];
    const paths = [
      '/api/leads?pageSize=100',
      `/api/leads/${featured.leadId}`,
      `/api/leads/${featured.leadId}/timeline`,
      `/api/leads/${featured.leadId}/followups`,
      `/api/leads/${featured.leadId}/audit`,
      `/api/leads/${featured.leadId}/intake`,
      `/api/leads/${featured.leadId}/routing`,
      `/api/leads/${intakeLeadId}`,
      `/api/leads/${intakeLeadId}/intake`,
      `/api/leads/${intakeLeadId}/audit`,
      `/api/leads/${intakeLeadId}/timeline`,
      `/api/customers/${featured.customerId}`,
      `/api/customers/lookup?phone=${FEATURED_CUSTOMER.phone}`,
      `/api/customers/lookup?phone=${encodeURIComponent('+86 139-1544-1234')}`,
      `/api/customers/lookup?phone=${colleaguePhone}`,
      `/api/metrics/drill?node=${encodeURIComponent('线索获取')}&pageSize=100`,
      `/api/metrics/drill?node=${encodeURIComponent('首次触达')}&pageSize=100`,
      '/api/metrics/export?view=rep-battle',
      '/api/metrics/journey-heat',
      '/api/metrics/journey-heat?by=channel',
      '/api/metrics/export?view=journey-heat',
      '/api/metrics/export?view=journey-heat&by=unit',
      `/api/customers/${featured.customerId}/content-queue`,
      '/api/routing/queue',
      '/api/imports',
      ...imports.map((i) => `/api/imports/${i.id}`),
      '/api/wecom/external-contact/wmWang',
      `/console/?user=${me.id}`,
    ];
    const out: [string, Res][] = [];
    for (const p of paths) out.push([`GET ${p}`, await h.req('GET', p, { as })]);
    // Error answers: a lead for a known number with a bad owner, a dry run naming a known number.
    out.push([
      'POST /api/leads (error)',
      await h.req('POST', '/api/leads', { as, body: { phone: FEATURED_CUSTOMER.phone, channel: '百度-品牌词', ownerId: 999999 } }),
    ]);
    out.push([
      'POST /api/routing/dry-run',
      await h.req('POST', '/api/routing/dry-run', { as, body: { phone: FEATURED_CUSTOMER.phone, channel: '百度-品牌词' } }),
    ]);
    out.push([
      'POST /api/followups (error)',
      await h.req('POST', '/api/followups', {
        as,
        headers: { 'idempotency-key': `mask-${kind}-err-${me.id}` },
        body: { leadId: featured.leadId, action: `打给${FEATURED_CUSTOMER.phone}` },
      }),
    ]);
    return out;
  }

  it('walks every phone-carrying response as each role: no full number unless the role may see it', async () => {
    const company: string[] = (await h.ds.query('SELECT phone FROM customer WHERE companyId = ?', [h.seed.companyId])).map((r: any) => String(r.phone));
    expect(company).toContain('13915447788');
    const leaks: string[] = [];
    let seen = 0;
    for (const role of ROLES) {
      const as = USER_OF[role];
      const me = await h.user(as);
      let allowed: Set<string>;
      if (!DEFAULT_SETTINGS.phoneVisibleRoles.includes(role)) allowed = new Set();
      else if (role === 'rep') {
        allowed = new Set(
          (
            await h.ds.query('SELECT DISTINCT c.phone FROM customer c JOIN `lead` l ON l.customerId = c.id WHERE l.ownerId = ? AND l.deletedAt IS NULL', [
              me.id,
            ])
          ).map((r: any) => String(r.phone)),
        );
      } else allowed = new Set(company);
      for (const [what, res] of await walk(as)) {
        expect(res.status, `${role} ${what}`).toBeLessThan(500);
        const found = phonesIn(res.text, company);
        seen += found.length;
        const bad = [...new Set(found.filter((p) => !allowed.has(p)))];
        if (bad.length) leaks.push(`${role} ${what}: ${bad.join(', ')}`);
      }
    }
    expect(leaks).toEqual([]);
    expect(seen, 'the walk reached responses that do carry phones').toBeGreaterThan(0);
  });

  it('masked roles get masked numbers (not nothing) where a phone belongs, and reps see their own in full', async () => {
    const audit = await h.req('GET', `/api/leads/${featured.leadId}/audit`, { as: '李静' });
    const created = audit.body.items.find((a: any) => a.entity === 'customer' && a.action === 'create');
    expect(created.after.phone).toBe('139****1234');
    const intake = await h.req('GET', `/api/leads/${intakeLeadId}/intake`, { as: '黄蓉' });
    expect(intake.body.items[0].payload.form.mobile).toBe('139****7788');
    const contact = await h.req('GET', '/api/wecom/external-contact/wmWang', { as: '马骏' });
    expect(contact.body.phones.every((p: string) => /^1\d{2}\*{4}\d{4}$/.test(p))).toBe(true);
    const own = await h.req('GET', '/api/wecom/external-contact/wmWang', { as: '张敏' });
    expect(own.body.phones).toEqual([FEATURED_CUSTOMER.phone]);
    const timeline = await h.req('GET', `/api/leads/${featured.leadId}/timeline`, { as: '张敏' });
    expect(timeline.text).toContain('139-1544-1234');
    // The walk reached alarm cards: the console shows them, with the phone masked even to the rep.
    const consolePage = await h.req('GET', `/console/?user=${(await h.user('张敏')).id}`);
    expect(consolePage.text).toMatch(/电话 1\d{2}\*{4}\d{4}/);
  });

  it('reveal-phone gives a masked role the full number and writes an audit row each time', async () => {
    for (const as of ['李静', '黄蓉', '马骏']) {
      const before = await h.count('audit_log', "action = 'reveal' AND entityId = ?", [featured.customerId]);
      const r = await h.req('POST', `/api/customers/${featured.customerId}/reveal-phone`, { as });
      expect(r.status, as).toBe(200);
      expect(r.body.phone).toBe(FEATURED_CUSTOMER.phone);
      expect(await h.count('audit_log', "action = 'reveal' AND entityId = ? AND actorId = ?", [featured.customerId, (await h.user(as)).id])).toBeGreaterThan(0);
      expect(await h.count('audit_log', "action = 'reveal' AND entityId = ?", [featured.customerId])).toBe(before + 1);
    }
  });
});
