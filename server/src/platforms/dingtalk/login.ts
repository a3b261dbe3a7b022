import { badRequest } from '../../http/errors';
import { PlatformError } from '../platform-error';
import { DingtalkApi, DingtalkError } from './dingtalk-api';

/** DingTalk H5 micro-app / mini-app login: the `requestAuthCode` code → the member's userid. */
export async function dingtalkUserIdFromCode(api: DingtalkApi, code: string): Promise<string> {
  try {
    const r = await api.oapi<{ result?: { userid?: string } }>('POST', '/topapi/v2/user/getuserinfo', { code });
    const userId = r.result?.userid;
    if (typeof userId !== 'string' || !userId) throw new PlatformError('dingtalk', '/topapi/v2/user/getuserinfo 的返回没有 userid');
    return userId;
  } catch (err) {
    if (err instanceof DingtalkError && ['40078', '40079', '71006'].includes(err.code)) {
      throw badRequest('钉钉登录码无效或已过期，请重新打开应用');
    }
    throw err;
  }
}
