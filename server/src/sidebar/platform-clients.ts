import type { AppContext } from '../context';
import { WecomApi } from '../platforms/wecom/wecom-api';
import { WecomJsapi } from '../platforms/wecom/jsapi';
import { DingtalkApi } from '../platforms/dingtalk/dingtalk-api';
import { AppError } from '../http/errors';

/** The sidebar's platform clients, one per app (their token and ticket caches must be shared by requests). */
export class SidebarPlatforms {
  readonly wecom: WecomApi | null;
  readonly jsapi: WecomJsapi | null;
  readonly dingtalk: DingtalkApi | null;

  constructor(app: AppContext) {
    this.wecom = app.config.wecom ? new WecomApi(app.config.wecom, app.clock) : null;
    this.jsapi = this.wecom ? new WecomJsapi(this.wecom, app.clock) : null;
    this.dingtalk = app.config.dingtalk ? new DingtalkApi(app.config.dingtalk, app.clock) : null;
  }

  requireWecom(): { api: WecomApi; jsapi: WecomJsapi } {
    if (!this.wecom || !this.jsapi) throw new AppError(409, 'wecom_off', '服务器未配置企业微信（WECOM_CORP_ID 等），请使用手机号或联系管理员');
    return { api: this.wecom, jsapi: this.jsapi };
  }

  requireDingtalk(): DingtalkApi {
    if (!this.dingtalk) throw new AppError(409, 'dingtalk_off', '服务器未配置钉钉（DINGTALK_APP_KEY 等），请联系管理员');
    return this.dingtalk;
  }
}
