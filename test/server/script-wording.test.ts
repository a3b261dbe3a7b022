import { describe, expect, it } from 'vitest';
import { CONCERNS, GRADES, courseForConcerns, fillScript } from '@lifeline/shared';
import { DEFAULT_COURSES } from '../../shared/src/metrics/definitions';
import { DEFAULT_SCRIPTS } from '../../server/src/scripts/default-library';
import { ScriptWording1700001500000 } from '../../server/src/db/migrations/1700001500000-script-wording';

/** A word said twice in a row (「提分提分」, 「孩子孩子」): what a filled template gets wrong most often. */
const STUTTER = /(\p{Script=Han}{2,})\1/u;

function renderings(text: string): string[] {
  const out: string[] = [];
  for (const concern of [...CONCERNS, null]) {
    for (const grade of [...GRADES, null]) {
      const course = courseForConcerns(concern ? [concern] : [], DEFAULT_COURSES);
      out.push(fillScript(text, { 称呼: '王妈妈', 课程: course, 顾问: '张敏', 年级: grade, 城市: '南京' }));
      out.push(fillScript(text, { 称呼: null, 课程: course, 顾问: null, 年级: grade, 城市: null }));
    }
  }
  return out;
}

describe('default scripts read as grammatical text for every course, concern and grade (issue 17, defect 6)', () => {
  it('no doubled words, no raw variables, no empty slots', () => {
    for (const s of DEFAULT_SCRIPTS) {
      for (const text of renderings(s.text)) {
        expect(text, `${s.code}: ${text}`).not.toMatch(STUTTER);
        expect(text, s.code).not.toMatch(/[{}]/);
        expect(text, s.code).not.toMatch(/的的|，，|。。|，。/);
      }
    }
  });

  it('{课程} names a course of the company, the one for the customer’s concern', () => {
    expect(courseForConcerns(['学科提分'], DEFAULT_COURSES)).toBe('数学提分班');
    expect(courseForConcerns(['无关', '心理辅导'], DEFAULT_COURSES)).toBe('考前心理成长课');
    const plan = DEFAULT_SCRIPTS.find((s) => s.code === 'plan-score')!;
    expect(fillScript(plan.text, { 课程: courseForConcerns(['学科提分'], DEFAULT_COURSES) })).toContain('上次聊到的数学提分班');
  });

  it('{城市} is the customer’s city and never presented as the rep’s own', () => {
    for (const s of DEFAULT_SCRIPTS) expect(s.text, s.code).not.toMatch(/我是\{城市\}|\{城市\}的(升学)?顾问/);
    const policy = fillScript(DEFAULT_SCRIPTS.find((s) => s.code === 'first-touch-policy')!.text, { 顾问: '张敏', 城市: '南京', 年级: '初三' });
    expect(policy).toContain('我是负责孩子升学规划的张敏');
    expect(policy).toContain('南京今年的中考政策');
  });

  it('the rewording migration reaches every company copy that still holds the shipped wording, and only those', async () => {
    const rows = [
      { code: 'plan-score', text: '{称呼}您好，上次提到的{课程}提分方案我整理好了，按孩子的薄弱点排了进度，方便您随时查看，有问题直接问我。' },
      { code: 'plan-score', text: '我们自己改过的话术' },
    ];
    const q = {
      query: async (_sql: string, [to, code, from]: string[]) => {
        for (const r of rows) if (r.code === code && r.text === from) r.text = to;
      },
    };
    await new ScriptWording1700001500000().up(q as never);
    expect(rows[0].text).toBe(DEFAULT_SCRIPTS.find((s) => s.code === 'plan-score')!.text);
    expect(rows[1].text).toBe('我们自己改过的话术');
  });
});
