/**
 * The default script library for education sales (K12 升学/提分). Variables: {称呼} {课程} {顾问} {年级} {城市}.
 * `code` is stable so a company's copy can be edited without being re-seeded.
 */
export interface DefaultScript {
  code: string;
  category: string;
  title: string;
  text: string;
  tags: string[];
  journeyNode: string | null;
  concern: string | null;
}

export const DEFAULT_SCRIPTS: DefaultScript[] = [
  {
    code: 'first-touch-policy',
    category: '首次触达',
    title: '中考新政开场',
    journeyNode: '线索获取',
    concern: '升学政策',
    tags: ['初三'],
    text: '{称呼}您好，我是负责孩子升学规划的{顾问}。看到您关注孩子{年级}的升学，{城市}今年的中考政策有几处变化，我整理了一份要点，方便的话发您看看？',
  },
  {
    code: 'first-touch-score',
    category: '首次触达',
    title: '提分需求开场',
    journeyNode: '线索获取',
    concern: '学科提分',
    tags: [],
    text: '{称呼}您好，我是{顾问}。您留言想了解孩子的提分方案，能简单说下孩子目前哪一科最吃力吗？我按情况给您出个建议。',
  },
  {
    code: 'first-touch-general',
    category: '首次触达',
    title: '通用问候',
    journeyNode: null,
    concern: null,
    tags: [],
    text: '{称呼}您好，我是{顾问}，之前您咨询过我们的{课程}。想跟您确认一下孩子现在的情况，您什么时间方便聊两分钟？',
  },
  {
    code: 'need-method',
    category: '需求确认',
    title: '学习方法诊断',
    journeyNode: '首次触达',
    concern: '学习方法',
    tags: [],
    text: '{称呼}，上次聊到孩子作业拖拉、复习没方法。我们有一套免费的学习习惯测评，10分钟就能看出问题在哪，要不要给孩子约一次？',
  },
  {
    code: 'need-psych',
    category: '需求确认',
    title: '考前焦虑关怀',
    journeyNode: '首次触达',
    concern: '心理辅导',
    tags: ['焦虑'],
    text: '{称呼}，考前孩子压力大是常见的，您别太担心。我们的心理老师整理了几条缓解考前焦虑的小方法，我先发您参考。',
  },
  {
    code: 'plan-score',
    category: '方案提供',
    title: '数学提分方案',
    journeyNode: '需求确认',
    concern: '学科提分',
    tags: [],
    text: '{称呼}您好，上次聊到的{课程}，我按孩子的薄弱点整理了一份学习方案、排好了进度，方便您随时查看，有问题直接问我。',
  },
  {
    code: 'plan-policy',
    category: '方案提供',
    title: '新政白皮书',
    journeyNode: '需求确认',
    concern: '升学政策',
    tags: ['初三'],
    text: '{称呼}，这是我们整理的{城市}中考新政白皮书，里面有近三年分数线和志愿填报要点，您先看看，有哪里想细聊的随时找我。',
  },
  {
    code: 'objection-price',
    category: '异议处理',
    title: '价格顾虑',
    journeyNode: '方案提供',
    concern: null,
    tags: ['价格'],
    text: '{称呼}，理解您对费用的考虑。我们可以先安排一节试听，孩子觉得有收获再决定，不合适不收任何费用。',
  },
  {
    code: 'objection-time',
    category: '异议处理',
    title: '时间冲突',
    journeyNode: '方案提供',
    concern: null,
    tags: [],
    text: '{称呼}，孩子周末时间紧的话，我们有晚间和线上小班，时间可以按孩子的安排来，您看哪个时段合适？',
  },
  {
    code: 'trial-invite',
    category: '试听邀约',
    title: '试听邀约',
    journeyNode: '方案提供',
    concern: null,
    tags: [],
    text: '{称呼}您好，本周六上午有一节{课程}体验课，名额不多，我先给孩子留一个位置，您看可以吗？',
  },
  {
    code: 'trial-followup',
    category: '试听回访',
    title: '试听后回访',
    journeyNode: '试听体验',
    concern: null,
    tags: [],
    text: '{称呼}，孩子上次试听感觉怎么样？老师反馈孩子思路很清楚，我把课堂评价和后续学习建议发您看看。',
  },
  {
    code: 'revive',
    category: '唤醒',
    title: '久未联系唤醒',
    journeyNode: null,
    concern: null,
    tags: ['沉默'],
    text: '{称呼}您好，好久没联系了，最近孩子学习还顺利吗？我们新出了一套{年级}复习资料，需要的话我发您一份。',
  },
];
