import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb, Harness } from '../support/harness';

const H = 3600_000;

describeEachDb('alarm settings API and script library (admin)', (kind) => {
  const h = new Harness(kind, 5);
  beforeAll(() => h.start());
  afterAll(() => h.stop());

  const newLead = async (phone: string, grade = '初二') => {
    const r = await h.req('POST', '/api/leads', { as: '张敏', body: { phone, channel: '抖音-202601直播', name: '测试妈妈', grade, concerns: ['学科提分'] } });
    expect(r.status).toBe(201);
    return r.body.lead.id as number;
  };
  const dueOf = async (leadId: number, rule: string) => {
    const [t] = await h.ds.query('SELECT dueAt, state FROM alarm_timer WHERE leadId = ? AND rule = ?', [leadId, rule]);
    return t ? { dueAt: Number(t.dueAt), state: t.state } : null;
  };

  describe('alarm settings', () => {
    it('managers read the defaults; reps may not; only an admin may change them', async () => {
      const g = await h.req('GET', '/api/alarms/settings', { as: '李静' });
      expect(g.status).toBe(200);
      expect(g.body.settings).toMatchObject({ noFollowupHours: 48, highRiskHours: 36, highRiskGrades: ['初三'], quietStart: '21:30', quietEnd: '08:00' });
      expect((await h.req('GET', '/api/alarms/settings', { as: '张敏' })).status).toBe(403);
      const denied = await h.req('PUT', '/api/alarms/settings', { as: '李静', body: { noFollowupHours: 24 } });
      expect(denied.status).toBe(403);
      expect(denied.body.error.message).toContain('只有管理员');
    });

    it('a shorter deadline re-arms the open leads at once, is audited, and applies to new leads', async () => {
      const id = await newLead('13800002001');
      const created = h.clock.now();
      expect((await dueOf(id, 'no_followup'))?.dueAt).toBe(created + 48 * H);
      const put = await h.req('PUT', '/api/alarms/settings', {
        as: '系统管理员',
        body: { noFollowupHours: 24, highRiskHours: 20, highRiskGrades: ['初三', '高三'] },
      });
      expect(put.status).toBe(200);
      expect(put.body.changed.sort()).toEqual(['highRiskGrades', 'highRiskHours', 'noFollowupHours']);
      expect(put.body.rearmed).toBeGreaterThan(0);
      expect(await dueOf(id, 'no_followup')).toEqual({ dueAt: created + 24 * H, state: 'pending' });
      const audit = await h.ds.query("SELECT field, `before`, `after` FROM audit_log WHERE entity = 'company' AND field LIKE 'alarms.%' ORDER BY id");
      expect(audit.map((a: any) => a.field)).toEqual(expect.arrayContaining(['alarms.noFollowupHours', 'alarms.highRiskGrades']));
      // 高三 is now high-risk: a new 高三 lead gets the early warning.
      const senior = await newLead('13800002002', '高三');
      expect(await dueOf(senior, 'high_risk')).toMatchObject({ state: 'pending' });
      expect((await h.req('GET', '/api/alarms/settings', { as: '王强' })).body.settings.noFollowupHours).toBe(24);
    });

    it('bad settings are refused with a Chinese message and change nothing', async () => {
      const before = (await h.req('GET', '/api/alarms/settings', { as: '系统管理员' })).body.settings;
      for (const [body, text] of [
        [{ quietStart: '25:00' }, '时间格式应为 HH:MM'],
        [{ highRiskHours: 30, noFollowupHours: 20 }, '高风险预警时间必须早于超时未跟进时间'],
        [{ highRiskHours: 30 }, '高风险预警时间必须早于超时未跟进时间'], // 30 ≥ the stored 24
        [{ perMemberPerMinute: 60 }, '企业微信每人每分钟最多 30 条'],
        [{ highRiskGrades: ['大一'] }, '年级只能是'],
        [{ noFollowupHour: 10 }, '不支持的字段'],
      ] as const) {
        const r = await h.req('PUT', '/api/alarms/settings', { as: '系统管理员', body });
        expect(r.status, JSON.stringify(body)).toBe(400);
        expect(r.body.error.message).toContain(text);
      }
      expect((await h.req('GET', '/api/alarms/settings', { as: '系统管理员' })).body.settings).toEqual(before);
    });
  });

  describe('script library', () => {
    it('ops adds a script with variables; it is offered, edited, soft-deleted and restored, every step audited', async () => {
      const list0 = await h.req('GET', '/api/scripts', { as: '黄蓉' });
      expect(list0.body.items.length).toBeGreaterThan(5); // the default library
      const add = await h.req('POST', '/api/scripts', {
        as: '黄蓉',
        body: {
          category: '试听邀约',
          title: '周末试听',
          text: '{称呼}您好，本周六{城市}校区有{课程}试听，{顾问}给您留了位置',
          tags: ['周末'],
          journeyNode: '方案提供',
          concern: '学科提分',
        },
      });
      expect(add.status).toBe(201);
      const id = add.body.id;
      expect((await h.req('GET', '/api/scripts', { as: '张敏' })).body.items.map((s: any) => s.id)).toContain(id);

      const edit = await h.req('PATCH', `/api/scripts/${id}`, { as: '黄蓉', body: { title: '周末试听邀约' } });
      expect(edit.status).toBe(200);
      expect(edit.body.title).toBe('周末试听邀约');
      expect((await h.req('DELETE', `/api/scripts/${id}`, { as: '黄蓉' })).status).toBe(200);
      expect((await h.req('GET', '/api/scripts', { as: '张敏' })).body.items.map((s: any) => s.id)).not.toContain(id);
      expect(await h.count('script', 'id = ?', [id])).toBe(1); // soft
      expect((await h.req('POST', `/api/scripts/${id}/restore`, { as: '黄蓉' })).status).toBe(200);
      expect((await h.req('GET', '/api/scripts', { as: '张敏' })).body.items.map((s: any) => s.id)).toContain(id);
      const audit = await h.ds.query("SELECT action, field FROM audit_log WHERE entity = 'script' AND entityId = ? ORDER BY id", [id]);
      expect(audit).toEqual([
        { action: 'create', field: '*' },
        { action: 'update', field: 'title' },
        { action: 'delete', field: 'deletedAt' },
        { action: 'restore', field: 'deletedAt' },
      ]);
    });

    it('reps and supervisors cannot edit; unknown variables, empty or long texts are refused and change nothing', async () => {
      const body = { category: '唤醒', title: '测试', text: '您好' };
      expect((await h.req('POST', '/api/scripts', { as: '张敏', body })).status).toBe(403);
      expect((await h.req('POST', '/api/scripts', { as: '李静', body })).status).toBe(403);
      const n = await h.count('script');
      for (const [b, text] of [
        [{ ...body, text: '{姓名}您好' }, '只能使用这些变量'],
        [{ ...body, text: '' }, '话术内容不能为空'],
        [{ ...body, text: '好'.repeat(501) }, '最多 500 个字'],
        [{ ...body, journeyNode: '成交' }, '阶段只能是'],
        [{ category: '唤醒' }, '必填'],
      ] as const) {
        const r = await h.req('POST', '/api/scripts', { as: '系统管理员', body: b });
        expect(r.status, JSON.stringify(b)).toBe(400);
        expect(r.body.error.message).toContain(text);
      }
      expect(await h.count('script')).toBe(n);
      expect((await h.req('PATCH', '/api/scripts/999999', { as: '系统管理员', body: { title: 'x' } })).status).toBe(404);
      expect((await h.req('PATCH', '/api/scripts/1', { as: '系统管理员', body: {} })).status).toBe(400);
    });
  });
});

describeEachDb('callback receipts are pruned after a week', (kind) => {
  const h = new Harness(kind, 0);
  beforeAll(() => h.start());
  afterAll(() => h.stop());

  it('receipts older than 7 days go, recent ones (still guarding against platform retries) stay', async () => {
    const { pruneCallbackReceipts } = await import('../../server/src/alarms/housekeeping');
    const now = h.clock.now();
    await h.ds.query('INSERT INTO callback_receipt (platform, dedupeKey, receivedAt) VALUES (?, ?, ?), (?, ?, ?), (?, ?, ?)', [
      'wecom',
      'old-1',
      now - 8 * 24 * H,
      'dingtalk',
      'old-2',
      now - 7 * 24 * H - 1,
      'wecom',
      'fresh',
      now - 6 * 24 * H,
    ]);
    expect(await pruneCallbackReceipts(h.app, 1)).toBe(2);
    expect((await h.ds.query('SELECT dedupeKey FROM callback_receipt')).map((r: any) => r.dedupeKey)).toEqual(['fresh']);
  });
});
