/** The education default set: a customer tag and the material it queues for the rep to send. */
export const DEFAULT_CONTENT: { tag: string; title: string; url: string }[] = [
  { tag: '摇号焦虑', title: '民办摇号攻略', url: 'https://content.lifeline.example/edu/minban-yaohao-guide' },
  { tag: '中考政策', title: '2026江苏中考新政白皮书', url: 'https://content.lifeline.example/edu/2026-zhongkao-policy' },
  { tag: '数学薄弱', title: '初中数学提分路径（含试听课）', url: 'https://content.lifeline.example/edu/math-boost' },
  { tag: '择校', title: '苏州/南京初高中择校对比表', url: 'https://content.lifeline.example/edu/school-choice' },
  { tag: '升学焦虑', title: '家长减压：升学季沟通指南', url: 'https://content.lifeline.example/edu/parent-calm' },
];
