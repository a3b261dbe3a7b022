import { afterAll, beforeAll, expect, it } from 'vitest';
import { FEATURED_CUSTOMER } from '../../server/src/demo/seed';
import { describeEachDb, Harness } from '../support/harness';

describeEachDb('phone lookup: normalise, attribute, match', (kind) => {
  const h = new Harness(kind, 20);
  beforeAll(() => h.start());
  afterAll(() => h.stop());
  const look = (phone: string, as = '张敏') => h.req('GET', `/api/customers/lookup?phone=${encodeURIComponent(phone)}`, { as });

  it.each(['+86 139 1544 1234', '0086-139-1544-1234', '８６１３９１５４４１２３４', '(139)1544-1234', ' 139 1544 1234 '])(
    'recognises the featured customer from %s',
    async (input) => {
      const r = await look(input);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ normalized: FEATURED_CUSTOMER.phone, valid: true, masked: '139****1234' });
      expect(r.body.customer).toMatchObject({ name: '王妈妈', grade: '初三', visible: true, channel: '抖音-202601直播', scoreLevel: 'A' });
    },
  );

  it('labels attribution as 号段归属地 and fills city for an unknown number', async () => {
    const r = await look('13814540123');
    expect(r.body.attribution).toEqual({ province: '江苏', city: '南京', carrier: '中国移动', label: '号段归属地，仅供参考' });
    expect(r.body.customer).toBeNull();
  });

  it('returns the last 3 interactions, newest first, with who and what', async () => {
    const r = await look(FEATURED_CUSTOMER.phone);
    const last = r.body.customer.lastInteractions;
    expect(last).toHaveLength(3);
    expect(last.map((i: any) => i.action)).toEqual(['已预约试听', '已电话沟通', '已发送资料']);
    expect(last[0]).toMatchObject({ conclusion: '已约周六上午数学试听', nextStepAction: '微信发试听回放', authorName: '张敏' });
    expect(last[0].at).toBeGreaterThan(last[1].at);
    expect(r.body.customer.journeyNode).toBe('试听体验');
  });

  it('tells another rep the customer exists and whose it is, but nothing more', async () => {
    const r = await look(FEATURED_CUSTOMER.phone, '周杰');
    expect(r.body.customer).toEqual({ id: expect.any(Number), visible: false, name: '王妈妈', owners: ['张敏'] });
  });

  it('a supervisor sees the customer with a masked phone', async () => {
    const r = await look(FEATURED_CUSTOMER.phone, '李静');
    expect(r.body.customer).toMatchObject({ visible: true, phone: '139****1234', phoneMasked: true });
  });

  it('an invalid number answers why, in Chinese', async () => {
    const r = await look('138001380');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ valid: false, error: '手机号应为11位数字，当前为9位', attribution: null, customer: null });
  });
});
