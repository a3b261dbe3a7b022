import { FakeDingtalk } from './dingtalk-server';

export interface FakeCard {
  outTrackId: string;
  cardTemplateId: string;
  openSpaceId: string;
  robotCode: string;
  callbackType: string;
  callbackRouteKey: string;
  /** cardParamMap as delivered, with every PUT merged in key by key. */
  params: Record<string, string>;
  updates: Record<string, string>[];
}

/**
 * Adds DingTalk interactive cards (card/instances) to the fake: callback registration, createAndDeliver into a
 * robot one-to-one chat and PUT updates, all token-checked (`x-acs-dingtalk-access-token`). Cards are recorded
 * by outTrackId; a second createAndDeliver with the same outTrackId is refused the way the platform does.
 * `loseNextReply()` delivers the next card but answers 503, as when the reply is lost after the platform acted.
 */
export function withDingtalkCards(fake: FakeDingtalk, robotCode = 'dingrobotfake01') {
  const cards = new Map<string, FakeCard>();
  const registrations: { callbackRouteKey: string; callbackUrl: string; apiSecret: string }[] = [];
  let loseReplies = 0;
  const bad = (message: string, code = 'invalidParameter') => ({ status: 400, json: { code, message, requestid: 'fake' } });

  fake.route(
    'POST',
    '/v1.0/card/callbacks/register',
    fake.v1Authed((req) => {
      const b = req.body ?? {};
      registrations.push({ callbackRouteKey: b.callbackRouteKey, callbackUrl: b.callbackUrl, apiSecret: b.apiSecret });
      return { result: { callbackUrl: b.callbackUrl, apiSecret: b.apiSecret }, success: true };
    }),
  );

  fake.route('POST', '/v1.0/card/instances/createAndDeliver', async (req) => {
    const authed = await fake.v1Authed(() => null)(req);
    if (authed.status === 401) return authed;
    const b = req.body ?? {};
    if (typeof b.cardTemplateId !== 'string' || typeof b.outTrackId !== 'string' || !b.cardData?.cardParamMap || typeof b.openSpaceId !== 'string') {
      return bad('缺少参数 cardTemplateId / outTrackId / cardData / openSpaceId');
    }
    if (!/^dtv1\.card\/\/IM_ROBOT\.[^.]+$/.test(b.openSpaceId) || b.imRobotOpenDeliverModel?.spaceType !== 'IM_ROBOT') return bad('openSpaceId 不合法');
    if (b.imRobotOpenDeliverModel?.robotCode !== robotCode) return bad('robotCode 不存在', 'invalidParameter.robotCode');
    if (Object.values(b.cardData.cardParamMap).some((v) => typeof v !== 'string')) return bad('cardParamMap 的值必须是字符串');
    if (cards.has(b.outTrackId)) return bad('outTrackId already exists', 'param.outTrackIdExist');
    cards.set(b.outTrackId, {
      outTrackId: b.outTrackId,
      cardTemplateId: b.cardTemplateId,
      openSpaceId: b.openSpaceId,
      robotCode: b.imRobotOpenDeliverModel.robotCode,
      callbackType: b.callbackType,
      callbackRouteKey: b.callbackRouteKey,
      params: { ...b.cardData.cardParamMap },
      updates: [],
    });
    if (loseReplies > 0) {
      loseReplies--;
      return { status: 503, json: { code: 'ServiceUnavailable', message: 'gateway timeout' } };
    }
    return {
      json: {
        success: true,
        result: {
          outTrackId: b.outTrackId,
          deliverResults: [{ spaceType: 'IM_ROBOT', spaceId: b.openSpaceId.split('.').pop(), success: true, carrierId: `c_${cards.size}` }],
        },
      },
    };
  });

  fake.route('PUT', '/v1.0/card/instances', async (req) => {
    const authed = await fake.v1Authed(() => null)(req);
    if (authed.status === 401) return authed;
    const b = req.body ?? {};
    const card = cards.get(b.outTrackId);
    if (!card) return bad('card not exist', 'param.cardNotExist');
    const map = b.cardData?.cardParamMap ?? {};
    card.updates.push({ ...map });
    card.params = b.cardUpdateOptions?.updateCardDataByKey ? { ...card.params, ...map } : { ...map };
    return { json: { success: true, result: true } };
  });

  return {
    cards,
    registrations,
    robotCode,
    /** The recipient of a card (its openSpaceId's user id). */
    userOf: (c: FakeCard) => c.openSpaceId.replace('dtv1.card//IM_ROBOT.', ''),
    loseNextReply: (times = 1) => void (loseReplies += times),
  };
}
