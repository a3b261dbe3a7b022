import { badRequest, forbidden } from '../../http/errors';
import { PlatformError } from '../platform-error';
import { WecomApi, WecomError } from './wecom-api';

/**
 * WeCom web OAuth2: the `code` the sidebar got from the OAuth redirect → the member's userid
 * (`/cgi-bin/auth/getuserinfo`). A non-member (openid only) cannot sign in.
 */
export async function wecomUserIdFromCode(api: WecomApi, code: string): Promise<string> {
  try {
    const r = await api.get<{ userid?: string; UserId?: string; openid?: string }>('/cgi-bin/auth/getuserinfo', { code });
    const userId = r.userid ?? r.UserId;
    if (typeof userId === 'string' && userId) return userId;
    if (r.openid) throw forbidden('你不是本企业的成员，不能使用侧边栏');
    throw new PlatformError('wecom', '/cgi-bin/auth/getuserinfo 的返回既没有 userid 也没有 openid');
  } catch (err) {
    if (err instanceof WecomError && (err.errcode === 40029 || err.errcode === 40163)) {
      throw badRequest('企业微信登录码无效或已使用，请关闭侧边栏后重新打开');
    }
    throw err;
  }
}
