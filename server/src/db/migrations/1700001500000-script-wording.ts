import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Five default scripts read badly once filled in (「数学提分提分方案」, 「我是南京的升学顾问」 with the customer's city,
 * 「孩子孩子压力大」). Companies' copies still holding the shipped wording get the new one; a copy someone edited is
 * left alone. The texts are written out here: a migration is frozen history and imports no live code.
 */
const REWORDED: { code: string; from: string; to: string }[] = [
  {
    code: 'first-touch-policy',
    from: '{称呼}您好，我是{城市}的升学顾问{顾问}。看到您关注{年级}升学，今年中考政策有几处变化，我整理了一份要点，方便的话发您看看？',
    to: '{称呼}您好，我是负责孩子升学规划的{顾问}。看到您关注孩子{年级}的升学，{城市}今年的中考政策有几处变化，我整理了一份要点，方便的话发您看看？',
  },
  {
    code: 'first-touch-general',
    from: '{称呼}您好，我是{顾问}，之前您咨询过{课程}。想跟您确认一下孩子现在的情况，您什么时间方便聊两分钟？',
    to: '{称呼}您好，我是{顾问}，之前您咨询过我们的{课程}。想跟您确认一下孩子现在的情况，您什么时间方便聊两分钟？',
  },
  {
    code: 'need-psych',
    from: '{称呼}，{年级}孩子压力大是常见的，您别太担心。我们的心理老师整理了几条缓解考前焦虑的小方法，我先发您参考。',
    to: '{称呼}，考前孩子压力大是常见的，您别太担心。我们的心理老师整理了几条缓解考前焦虑的小方法，我先发您参考。',
  },
  {
    code: 'plan-score',
    from: '{称呼}您好，上次提到的{课程}提分方案我整理好了，按孩子的薄弱点排了进度，方便您随时查看，有问题直接问我。',
    to: '{称呼}您好，上次聊到的{课程}，我按孩子的薄弱点整理了一份学习方案、排好了进度，方便您随时查看，有问题直接问我。',
  },
  {
    code: 'revive',
    from: '{称呼}您好，好久没联系了，最近孩子学习还顺利吗？我们新出了{年级}阶段的复习资料，需要的话我发您一份。',
    to: '{称呼}您好，好久没联系了，最近孩子学习还顺利吗？我们新出了一套{年级}复习资料，需要的话我发您一份。',
  },
];

export class ScriptWording1700001500000 implements MigrationInterface {
  name = 'ScriptWording1700001500000';

  async up(q: QueryRunner): Promise<void> {
    for (const r of REWORDED) await q.query('UPDATE script SET text = ? WHERE code = ? AND text = ?', [r.to, r.code, r.from]);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const r of REWORDED) await q.query('UPDATE script SET text = ? WHERE code = ? AND text = ?', [r.from, r.code, r.to]);
  }
}
