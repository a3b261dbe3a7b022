import { isValidMobile, normalizePhone } from '@lifeline/shared';
import { notFound } from '../../http/errors';
import { WecomApi, WecomError } from './wecom-api';

export interface ExternalContactInfo {
  externalUserId: string;
  name: string;
  /** the rep's remark for this contact */
  remark: string | null;
  /** valid mainland mobiles from the rep's remark_mobiles (then any other follower's), normalised */
  phones: string[];
  /** those of `phones` the rep recorded themselves (their own follow_user entry) */
  ownPhones: string[];
}

interface FollowUser {
  userid: string;
  remark?: string;
  remark_mobiles?: string[];
}

/**
 * The external contact of the current chat (`/cgi-bin/externalcontact/get`). WeCom never exposes a customer's
 * own number; the phone comes from the remark mobiles reps record on the contact, the rep's own first.
 */
export async function externalContact(api: WecomApi, externalUserId: string, repWecomUserId: string | null): Promise<ExternalContactInfo> {
  let r: { external_contact?: { external_userid: string; name: string }; follow_user?: FollowUser[] };
  try {
    r = await api.get('/cgi-bin/externalcontact/get', { external_userid: externalUserId });
  } catch (err) {
    if (err instanceof WecomError && [84061, 40096, 40097].includes(err.errcode)) {
      throw notFound('没有找到这个客户的企业微信联系人信息，请手动输入手机号');
    }
    throw err;
  }
  const followers = [...(r.follow_user ?? [])].sort((a, b) => Number(b.userid === repWecomUserId) - Number(a.userid === repWecomUserId));
  const phones: string[] = [];
  for (const f of followers) {
    for (const raw of f.remark_mobiles ?? []) {
      const p = normalizePhone(raw);
      if (isValidMobile(p) && !phones.includes(p)) phones.push(p);
    }
  }
  const mine = repWecomUserId ? followers.find((f) => f.userid === repWecomUserId) : undefined;
  const ownPhones = (mine?.remark_mobiles ?? []).map(normalizePhone).filter((p) => phones.includes(p));
  return { externalUserId, name: r.external_contact?.name ?? '', remark: mine?.remark || null, phones, ownPhones };
}
