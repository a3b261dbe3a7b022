import { z } from 'zod';
import type { AppContext } from '../context';
import { Audit } from '../audit/audit.service';
import { Company } from '../companies/company.entity';
import { insertRow } from '../db/rows';
import { isUniqueViolation } from '../db/errors';
import { badRequest, conflict } from '../http/errors';
import { User } from '../users/user.entity';
import { issueSignInLink } from './sign-in-links';

const corpId = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_-]{4,64}$/, 'corp id 只能包含字母、数字、下划线和短横线（4–64 位）')
  .optional();

export const createCompanySchema = z
  .object({
    name: z.string().trim().min(1, '请填写公司名称').max(64, '公司名称最多 64 个字'),
    adminName: z.string().trim().min(1, '请填写管理员姓名').max(32, '管理员姓名最多 32 个字'),
    wecomCorpId: corpId,
    dingtalkCorpId: corpId,
  })
  .strict();

export type CreateCompany = z.infer<typeof createCompanySchema>;

/**
 * A new company with default settings and its first admin, plus a one-time sign-in link for that admin
 * (docs/onboarding.md). Works without any platform configured; a corp id binds the company to its WeCom / DingTalk
 * organisation (callbacks, directory sync and sign-ins are routed by it) and may belong to one company only.
 */
export async function createCompany(app: AppContext, input: CreateCompany) {
  const parsed = createCompanySchema.safeParse(input);
  if (!parsed.success) throw badRequest(parsed.error.issues.map((i) => i.message).join('；'));
  const c = parsed.data;
  const now = app.clock.now();
  try {
    return await app.tx.run(async (em) => {
      const company = Object.assign(new Company(), {
        name: c.name,
        settings: {},
        authVersion: 0,
        wecomCorpId: c.wecomCorpId ?? null,
        dingtalkCorpId: c.dingtalkCorpId ?? null,
        createdAt: now,
      });
      await insertRow(em, Company, company);
      const admin = Object.assign(new User(), {
        companyId: company.id,
        name: c.adminName,
        role: 'admin' as const,
        orgUnitId: null,
        managerId: null,
        active: true,
        authVersion: 0,
        wecomUserId: null,
        dingtalkUserId: null,
        createdAt: now,
        updatedAt: now,
        deletedAt: null,
      });
      await insertRow(em, User, admin);
      const audit = new Audit(em, { companyId: company.id, actorId: null, at: now });
      await audit.created('company', company.id, { name: company.name, wecomCorpId: company.wecomCorpId, dingtalkCorpId: company.dingtalkCorpId });
      await audit.created('app_user', admin.id, { name: admin.name, role: admin.role });
      const link = await issueSignInLink(em, app, { companyId: company.id, userId: admin.id, createdBy: null });
      return { company: { id: company.id, name: company.name }, admin: { id: admin.id, name: admin.name }, link };
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict('这个企业微信 / 钉钉 corp id 已经属于另一家公司：一个平台组织只能对应一家公司');
    throw err;
  }
}
