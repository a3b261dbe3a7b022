import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, Harness, TEST_CONFIG } from '../support/harness';
import { FakeLlm } from '../fakes/llm-server';
import { AlarmEngine } from '../../server/src/alarms';

const H = 3600_000;

describeEachDb('alarm scripts personalised by the configured model, library fallback', (kind) => {
  const h = new Harness(kind, 10);
  const llm = new FakeLlm();
  let engine: AlarmEngine;
  beforeAll(async () => {
    await h.start();
    await llm.start();
    h.app.config = { ...TEST_CONFIG, llm: { baseUrl: llm.v1, apiKey: llm.apiKey, model: 'fake-model', timeoutMs: 3000 } };
    engine = new AlarmEngine(h.app, { leaseMs: 30_000 });
  });
  afterAll(async () => {
    await llm.stop();
    await h.stop();
  });

  const overdueLead = async (phone: string, name: string) => {
    const r = await h.req('POST', '/api/leads', { as: '张敏', body: { phone, channel: '抖音-202601直播', name, grade: '初二', concerns: ['学科提分'] } });
    expect(r.status).toBe(201);
    return r.body.lead.id as number;
  };

  it('the model rewrites the library picks from the lead context, keeping their script ids', async () => {
    llm.chatReply = (req) => {
      const input = JSON.parse(req.body.messages.at(-1).content);
      return JSON.stringify({
        scripts: input.候选话术.map((c: any) => ({ scriptId: c.scriptId, text: `${input.称呼}您好，张敏给您准备了专属方案#${c.scriptId}` })),
      });
    };
    const id = await overdueLead('13200001111', '唐妈妈');
    h.clock.advance(48 * H + 1000);
    await engine.tick();
    const [alarm] = await h.ds.query(`SELECT scripts FROM alarm WHERE leadId = ?`, [id]);
    const scripts = JSON.parse(alarm.scripts);
    expect(scripts).toHaveLength(3);
    for (const s of scripts) expect(s.text).toBe(`唐妈妈您好，张敏给您准备了专属方案#${s.scriptId}`);
    const sent = JSON.parse(llm.chatCalls().at(-1)!.body.messages.at(-1).content);
    expect(sent).toMatchObject({ 称呼: '唐妈妈', 提醒原因: '超过48小时未跟进', 顾问: '张敏' });
    h.clock.advance(-(48 * H + 1000));
  });

  it('a model that answers garbage (twice) leaves the library texts, variables filled', async () => {
    llm.chatReply = 'not json at all';
    const id = await overdueLead('13200002222', '梁爸爸');
    h.clock.advance(48 * H + 1000);
    await engine.tick();
    const [alarm] = await h.ds.query(`SELECT scripts FROM alarm WHERE leadId = ?`, [id]);
    const scripts = JSON.parse(alarm.scripts);
    expect(scripts).toHaveLength(3);
    expect(scripts.every((s: any) => !/[{}]/.test(s.text) && !s.text.includes('专属方案'))).toBe(true);
    expect(scripts.some((s: any) => s.text.includes('梁爸爸'))).toBe(true);
    h.clock.advance(-(48 * H + 1000));
  });
});
