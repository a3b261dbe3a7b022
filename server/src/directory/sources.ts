import type { AppContext } from '../context';
import type { Company } from '../companies/company.entity';
import { WecomApi } from '../platforms/wecom/wecom-api';
import { WecomDirectory } from '../platforms/wecom/directory';
import { DingtalkApi } from '../platforms/dingtalk/dingtalk-api';
import { DingtalkDirectory } from '../platforms/dingtalk/directory';
import type { DirectorySource } from './source';

/**
 * The directory a company's org is read from: WeCom when the server's WeCom app belongs to the company's corp
 * (company.wecomCorpId = WECOM_CORP_ID), else DingTalk likewise, else none (the company manages people by hand).
 * Tests and benches inject a source through `AppContext.platformOverrides.directory`.
 */
export function directorySourceFor(app: AppContext, company: Company): DirectorySource | null {
  const { wecom, dingtalk } = app.config;
  if (wecom && company.wecomCorpId && company.wecomCorpId === wecom.corpId) return new WecomDirectory(new WecomApi(wecom, app.clock));
  if (dingtalk && company.dingtalkCorpId && company.dingtalkCorpId === dingtalk.corpId) return new DingtalkDirectory(new DingtalkApi(dingtalk, app.clock));
  return null;
}
