import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, Harness, TEST_CONFIG, TEST_NOW } from '../support/harness';
import { FakeWecom } from '../fakes/wecom-server';
import { FakeDingtalk } from '../fakes/dingtalk-server';
import { withDingtalkRobot, withWecomRobot } from '../fakes/robots';
import { AlarmEngine } from '../../server/src/alarms';
import { dingtalkRobotSign } from '../../server/src/platforms/dingtalk/robot';

const H = 3600_000;

describeEachDb("supervisors' group robots (WeCom markdown, DingTalk signed actionCard)", (kind) => {
  const h = new Harness(kind, 10);
  const wecom = new FakeWecom();
  const ding = new FakeDingtalk();
  let wr: ReturnType<typeof withWecomRobot>;
  let dr: ReturnType<typeof withDingtalkRobot>;
  beforeAll(async () => {
    await h.start();
    await wecom.start();
    await ding.start();
    wr = withWecomRobot(wecom, 'robot-key-1');
    dr = withDingtalkRobot(ding, 'dt-robot-token', 'SECtestsecret');
    h.app.config = {
      ...TEST_CONFIG,
      alarms: {
        tickSeconds: 5,
        leaseMs: 30_000,
        wecomGroupRobotUrl: `${wecom.base}/cgi-bin/webhook/send?key=robot-key-1`,
        dingtalkRobotWebhook: `${ding.base}/robot/send?access_token=dt-robot-token`,
        dingtalkRobotSecret: 'SECtestsecret',
      },
    };
  });
  afterAll(async () => {
    await wecom.stop();
    await ding.stop();
    await h.stop();
  });

  it('signs like the documented algorithm (self-computed check value from the reference)', () => {
    expect(dingtalkRobotSign('this is secret', 1577262236757)).toBe('hmPWwU%2B7lVdm3ZZz0r9tSfx0L4Q26jWOZr9%2BGs6EZQM%3D');
  });

  it('初三 warnings reach both groups as one grouped message each', async () => {
    h.clock.set(TEST_NOW - 12 * H); // 22:00 the evening before; +36 h = 10:00, outside quiet hours
    for (let i = 0; i < 3; i++) {
      const r = await h.req('POST', '/api/leads', {
        as: '张敏',
        body: { phone: `1330000800${i}`, channel: '抖音-202601直播', name: `群测${i}`, grade: '初三' },
      });
      expect(r.status).toBe(201);
    }
    const engine = new AlarmEngine(h.app, { leaseMs: 30_000 });
    h.clock.set(TEST_NOW + 24 * H);
    await engine.tick();
    expect(wr.posts).toHaveLength(1);
    expect(wr.posts[0].markdown.content).toContain('张敏有 3 条初三线索超过 36 小时未跟进');
    expect(dr.posts).toHaveLength(1);
    expect(dr.posts[0].msgtype).toBe('actionCard');
    expect(dr.posts[0].actionCard.text).toContain('张敏有 3 条初三线索超过 36 小时未跟进');
    expect(await h.count('alarm_message', `recipientId < 0 AND state = 'merged'`)).toBe(6);
  });
});
