import {
  KPI_DEFINITIONS,
  KPI_IDS,
  type ChannelRoiResponse,
  type JourneyHeatResponse,
  type KpisResponse,
  type LeadHealthResponse,
  type RepBattleResponse,
} from '@lifeline/shared';

type Cell = string | number | null | undefined;

/** One CSV field: quoted when needed, and never read by Excel as a formula. */
function field(v: Cell): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(4).replace(/0+$/, '').replace(/\.$/, '');
  let s = v;
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** UTF-8 with BOM and CRLF, so Excel opens Chinese text correctly. */
export function toCsv(rows: Cell[][]): string {
  return `\uFEFF${rows.map((r) => r.map(field).join(',')).join('\r\n')}\r\n`;
}

const pct = (v: number | null) => (v === null ? null : Math.round(v * 10000) / 100);

export function kpisCsv(r: KpisResponse): Cell[][] {
  return [
    ['指标', '数值', '分子', '分母', '目标', '是否未达标', '口径', '统计区间', '数据更新时间'],
    ...KPI_IDS.map((id) => {
      const k = r.kpis[id];
      const d = KPI_DEFINITIONS[id];
      const value = d.unit === 'ratio' ? pct(k.value) : k.value;
      return [
        `${d.label}${d.unit === 'ratio' ? '(%)' : '(小时)'}`,
        value,
        k.numerator,
        k.denominator,
        d.unit === 'ratio' ? pct(k.target) : k.target,
        k.red ? '是' : '否',
        d.definition,
        `${r.scope.from}~${r.scope.to}`,
        stamp(r.updatedAt),
      ];
    }),
  ];
}

export function leadHealthCsv(r: LeadHealthResponse): Cell[][] {
  return [
    ['旅程节点', '到达线索数', '在此流失数'],
    ...r.nodes.map((n) => [n.node, n.reached, n.lost]),
    [],
    ['周期', '线索数', '7日存活率(%)', '高意向占比(%)'],
    ...r.trend.map((t) => [t.period, t.leads, pct(t.survival7d), pct(t.highIntentShare)]),
  ];
}

export function repBattleCsv(r: RepBattleResponse): Cell[][] {
  return [
    ['顾问', '团队', '待跟进', '逾期', '48小时跟进率(%)', '是否未达标', '试听数', '签约数', '试听转化率(%)', '使用话术次数'],
    ...r.reps.map((x) => [
      x.name,
      x.unitName,
      x.backlog,
      x.overdue,
      pct(x.followup48h.value),
      x.followup48h.red ? '是' : '否',
      x.trialConversion.trials,
      x.trialConversion.signed,
      pct(x.trialConversion.value),
      x.scriptsUsed,
    ]),
  ];
}

export function channelRoiCsv(r: ChannelRoiResponse): Cell[][] {
  return [
    [
      '渠道',
      '线索数',
      r.spendBasis === 'share' ? '投放金额(元,按线索占比分摊)' : '投放金额(元)',
      '单条线索成本(元)',
      '7日留存率(%)',
      '签约数',
      '首单周期(天)',
      '签约额(元,回款+其余按课程标价)',
      '其中财务回款(元)',
      '单签成本(元)',
      'ROI(签约额÷花费,%)',
      '月份',
    ],
    ...r.channels.map((c) => [
      c.channel,
      c.leads,
      c.spend,
      c.costPerLead,
      pct(c.retention7d.value),
      c.signed,
      c.firstDealDays,
      c.revenue,
      c.revenuePaid,
      c.costPerSigning,
      pct(c.roi),
      r.months.join(' '),
    ]),
  ];
}

export function journeyHeatCsv(r: JourneyHeatResponse): Cell[][] {
  const cell = (value: string, node: string) => r.cells.find((c) => c.value === value && c.node === node)?.avgHours ?? null;
  return [[`${r.by}`, ...r.nodes.map((n) => `${n}(平均小时)`)], ...r.values.map((v) => [v, ...r.nodes.map((n) => cell(v, n))])];
}

function stamp(ms: number | null): string {
  return ms === null ? '' : new Date(ms + 8 * 3600_000).toISOString().replace('T', ' ').slice(0, 19);
}
