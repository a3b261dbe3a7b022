// The demo company: two centres, three teams, a realistic cast. Names are fictional.

const DEMO_COMPANY = '启明教育（演示）';

export interface DemoTeam {
  key: string;
  centre: string;
  team: string;
  city: string;
  /** Grades this team serves. */
  grades: string[];
}

export const DEMO_TEAMS: DemoTeam[] = [
  { key: 'sz-zk', centre: '苏州园区中心', team: '苏州园区中心-中考组', city: '苏州', grades: ['初一', '初二', '初三'] },
  { key: 'sz-xx', centre: '苏州园区中心', team: '苏州园区中心-小学组', city: '苏州', grades: ['小四', '小五', '小六'] },
  { key: 'nj-zh', centre: '南京鼓楼中心', team: '南京鼓楼中心-综合组', city: '南京', grades: ['小六', '初二', '初三', '高一', '高三'] },
];

const DEMO_SUPERVISORS: Record<string, string> = { 苏州园区中心: '李静', 南京鼓楼中心: '王强' };

const DEMO_REPS: { name: string; team: string; active?: boolean }[] = [
  { name: '张敏', team: 'sz-zk' },
  { name: '陈晨', team: 'sz-zk' },
  { name: '刘洋', team: 'sz-zk' },
  { name: '赵丽', team: 'sz-xx' },
  { name: '孙悦', team: 'sz-xx' },
  { name: '周杰', team: 'nj-zh' },
  { name: '吴昊', team: 'nj-zh' },
  { name: '郑爽', team: 'nj-zh' },
  { name: '钱多多', team: 'nj-zh', active: false },
];

const DEMO_STAFF = { ops: '黄蓉', director: '马骏', admin: '系统管理员' };

export const DEMO_CHANNELS = [
  { tag: '抖音-202601直播', weight: 35 },
  { tag: '公众号-寒假讲座推文', weight: 25 },
  { tag: '百度-品牌词', weight: 15 },
  { tag: '地推-展会二维码', weight: 15 },
  { tag: '转介绍-老学员', weight: 10 },
];

export const DEMO_SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭', '何', '林', '高', '罗'];

export const DEMO_NEXT_ACTIONS = ['微信发试听回放', '电话确认试听时间', '发送中考政策解读', '发送课程报价单', '邀约到店面谈', '回访试听感受'];

/** Who a seeded company is: its name, org and people. The demo is one; tests seed a second, smaller one. */
export interface DemoCast {
  company: string;
  teams: DemoTeam[];
  supervisors: Record<string, string>;
  reps: { name: string; team: string; active?: boolean }[];
  staff: { ops: string; director: string; admin: string };
  /** The demo's extras: 王妈妈 (featured), guaranteed alarm material, a returning parent; its routing and rules. */
  demoExtras: boolean;
}

export const DEMO_CAST: DemoCast = {
  company: DEMO_COMPANY,
  teams: DEMO_TEAMS,
  supervisors: DEMO_SUPERVISORS,
  reps: DEMO_REPS,
  staff: DEMO_STAFF,
  demoExtras: true,
};

/** A second, small company (tenancy tests): one centre, one team, two reps, each staff role once. Names differ from the demo's. */
export const SECOND_CAST: DemoCast = {
  company: '远航教育（第二家）',
  teams: [{ key: 'hz-zh', centre: '杭州西湖中心', team: '杭州西湖中心-综合组', city: '苏州', grades: ['初二', '初三'] }],
  supervisors: { 杭州西湖中心: '韩梅' },
  reps: [
    { name: '林涛', team: 'hz-zh' },
    { name: '宋佳', team: 'hz-zh' },
  ],
  staff: { ops: '魏来', director: '郝运', admin: '远航管理员' },
  demoExtras: false,
};
