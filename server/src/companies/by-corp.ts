import type { EntityManager } from 'typeorm';
import { Company } from './company.entity';

/**
 * The company a WeCom / DingTalk organisation belongs to: the one bound to that corp id (`company:create
 * --wecom-corp-id`, or the admin's settings). A server with a single company and no binding yet (an install that
 * predates bindings) routes its one configured platform to that company; with several companies an unbound corp
 * belongs to none, so an event can never land in the wrong company.
 */
export async function companyForCorp(em: EntityManager, platform: 'wecom' | 'dingtalk', corpId: string): Promise<Company | null> {
  const repo = em.getRepository(Company);
  if (corpId) {
    const bound = await repo.findOneBy(platform === 'wecom' ? { wecomCorpId: corpId } : { dingtalkCorpId: corpId });
    if (bound) return bound;
  }
  const all = await repo.find({ take: 2, order: { id: 'ASC' } });
  if (all.length !== 1) return null;
  const only = all[0];
  const boundTo = platform === 'wecom' ? only.wecomCorpId : only.dingtalkCorpId;
  return boundTo === null ? only : null;
}
