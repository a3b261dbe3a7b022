import { useEffect, useState } from 'react';
import { Input, Text, View } from '@tarojs/components';
import { ruleSetSchema } from '@lifeline/shared/src/routing/schemas';
import type { RoutingRule } from '@lifeline/shared/src/routing/rules';
import { GRADES } from '@lifeline/shared/src/vocabulary';
import { Chips } from '../../components/Chips';
import { api } from '../../lib/api';
import { cnDateTime } from '../../dashboard/format';
import { PoolEditor, type Pool } from './Pools';
import { Experiments } from '../../components/Experiments';

type Rule = RoutingRule;
interface RuleSet {
  version: number;
  rules: Rule[];
  defaultPoolId: number;
  protective?: { minScore: number; maxPerRep: number };
}

const list = (s: string) =>
  s
    .split(/[,，、\s]+/)
    .map((x) => x.trim())
    .filter(Boolean);

/**
 * 分配规则: ordered rules (city, grade, channel, score → pool; the first that matches wins), the default pool, the
 * pools with their members, weights, caps and load, a dry run (「苏州 + 初三 + 抖音 → ?」), and the versions.
 */
export function RoutingSection({ onSaved }: { onSaved: (msg: string) => void }) {
  const [set, setSet] = useState<RuleSet | null>(null);
  const [versions, setVersions] = useState<{ version: number; createdAt: number; createdBy: number | null }[]>([]);
  const [pools, setPools] = useState<Pool[]>([]);
  const [names, setNames] = useState<Map<number, string>>(new Map());
  const [reps, setReps] = useState<{ id: number; name: string }[]>([]);
  const [openPool, setOpenPool] = useState<number | null>(null);
  const [error, setError] = useState('');
  const [holdout, setHoldout] = useState(false);
  const load = async () => {
    const [r, p, u] = await Promise.all([
      api<{ current: RuleSet | null; versions: typeof versions }>('GET', '/api/routing/rules'),
      api<{ items: Pool[] }>('GET', '/api/routing/pools'),
      api<{ items: { id: number; name: string; role: string; active: boolean }[] }>('GET', '/api/users?pageSize=200'),
    ]);
    setSet(r.current ?? { version: 0, rules: [], defaultPoolId: p.items[0]?.id ?? 0 });
    setVersions(r.versions);
    setPools(p.items);
    setNames(new Map(u.items.map((x) => [x.id, x.name])));
    setReps(u.items.filter((x) => x.role === 'rep' && x.active));
  };
  useEffect(() => {
    load().catch((e: Error) => setError(e.message));
  }, []);
  if (!set) return <View className="muted">{error || '加载中…'}</View>;

  const body = { rules: set.rules, defaultPoolId: set.defaultPoolId, ...(set.protective ? { protective: set.protective } : {}) };
  const check = ruleSetSchema.safeParse(body);
  const problem = check.success ? null : check.error.issues.map((i) => `${i.path.length ? `第${Number(i.path[1]) + 1 || ''}条 ` : ''}${i.message}`)[0];
  const poolName = (id: number) => pools.find((p) => p.id === id)?.name ?? `#${id}`;
  const update = (i: number, r: Rule | null) => setSet({ ...set, rules: set.rules.flatMap((x, j) => (j === i ? (r ? [r] : []) : [x])) });
  const move = (i: number, d: -1 | 1) => {
    const rules = [...set.rules];
    const [r] = rules.splice(i, 1);
    rules.splice(Math.max(0, Math.min(rules.length, i + d)), 0, r);
    setSet({ ...set, rules });
  };
  const save = async () => {
    if (problem) return setError(problem);
    try {
      const r = await api<{ version: number; experimentId: number | null }>(
        'PUT',
        '/api/routing/rules',
        holdout && set.version ? { ...body, holdout: {} } : body,
      );
      onSaved(`分配规则已保存为 v${r.version}${r.experimentId ? `，10% 的新线索仍按 v${set.version} 分配以作对照` : ''}`);
      setHoldout(false);
      setError('');
      await load();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <View id="routing">
      <View className="label">规则（自上而下，第一条匹配的生效）· 当前 v{set.version}</View>
      {set.rules.map((r, i) => (
        <RuleEditor key={i} index={i} rule={r} pools={pools} onChange={(x) => update(i, x)} onMove={(d) => move(i, d)} />
      ))}
      <Text
        className="todo-btn"
        id="rule-add"
        onClick={() => setSet({ ...set, rules: [...set.rules, { name: `规则${set.rules.length + 1}`, poolId: set.defaultPoolId }] })}
      >
        ＋ 添加规则
      </Text>
      <View className="label">都不匹配时进入</View>
      <Chips
        small
        items={pools.map((p) => p.name)}
        selected={[poolName(set.defaultPoolId)]}
        onTap={(n) => setSet({ ...set, defaultPoolId: pools.find((p) => p.name === n)!.id })}
      />
      {problem ? (
        <View className="error" id="routing-problem">
          {problem}
        </View>
      ) : null}
      {error && error !== problem ? <View className="error">{error}</View> : null}
      {set.version ? <Chips small items={[HOLDOUT]} selected={holdout ? [HOLDOUT] : []} onTap={() => setHoldout(!holdout)} /> : null}
      <Text className="todo-btn todo-btn--primary settings-save" id="routing-save" onClick={() => void save()}>
        保存为新版本
      </Text>
      <DryRun />
      <View className="label">A/B 测试</View>
      <Experiments canStop onChanged={onSaved} refreshKey={set.version} />
      <View className="label">线索池</View>
      {pools.map((p) => (
        <View className="pool" key={p.id} id={`pool-${p.id}`}>
          <Text className="person__name" onClick={() => setOpenPool(openPool === p.id ? null : p.id)}>
            {p.name}
            {p.queued ? <Text className="assign__why"> · 轮转队列 {p.queued} 条</Text> : null}
            <Text className="link"> {openPool === p.id ? '收起' : '编辑成员'}</Text>
          </Text>
          {openPool === p.id ? <PoolEditor pool={p} reps={reps} onSaved={(m) => void load().then(() => onSaved(m))} /> : null}
          <View className="muted">
            {p.members
              .map((m) => `${m.name ?? `#${m.userId}`}${m.active ? '' : '(停用)'} 权重${m.weight}${m.cap === null ? '' : ` 上限${m.cap}`} 在跟${m.openLeads}`)
              .join('；') || '没有成员'}
          </View>
        </View>
      ))}
      <View className="label">版本</View>
      {versions.map((v) => (
        <View className="muted" key={v.version}>
          v{v.version} · {cnDateTime(v.createdAt)} · {v.createdBy ? (names.get(v.createdBy) ?? `#${v.createdBy}`) : '系统'}
        </View>
      ))}
    </View>
  );
}

function RuleEditor({
  index,
  rule,
  pools,
  onChange,
  onMove,
}: {
  index: number;
  rule: Rule;
  pools: Pool[];
  onChange: (r: Rule | null) => void;
  onMove: (d: -1 | 1) => void;
}) {
  const num = (v: string) => (v.trim() === '' ? undefined : Number(v));
  return (
    <View className="rule" id={`rule-${index}`}>
      <View className="rule__head">
        <Text className="rule__no">#{index + 1}</Text>
        <Input className="input rule__name" value={rule.name} onInput={(e) => onChange({ ...rule, name: e.detail.value })} />
        <Text className="link" onClick={() => onMove(-1)}>
          上移
        </Text>
        <Text className="link" onClick={() => onMove(1)}>
          下移
        </Text>
        <Text className="link rule__del" onClick={() => onChange(null)}>
          删除
        </Text>
      </View>
      <Input
        className="input"
        placeholder="城市（逗号分隔，空=不限）"
        value={(rule.cities ?? []).join('，')}
        onInput={(e) => onChange({ ...rule, cities: list(e.detail.value) })}
      />
      <Input
        className="input"
        placeholder="渠道标签（逗号分隔，空=不限）"
        value={(rule.channels ?? []).join('，')}
        onInput={(e) => onChange({ ...rule, channels: list(e.detail.value) })}
      />
      <Chips
        small
        items={[...GRADES]}
        selected={rule.grades ?? []}
        onTap={(g) => onChange({ ...rule, grades: (rule.grades ?? []).includes(g) ? rule.grades!.filter((x) => x !== g) : [...(rule.grades ?? []), g] })}
      />
      <View className="field__input">
        <Input
          className="input"
          type="number"
          placeholder="最低分"
          value={rule.minScore?.toString() ?? ''}
          onInput={(e) => onChange({ ...rule, minScore: num(e.detail.value) })}
        />
        <Input
          className="input"
          type="number"
          placeholder="最高分"
          value={rule.maxScore?.toString() ?? ''}
          onInput={(e) => onChange({ ...rule, maxScore: num(e.detail.value) })}
        />
      </View>
      <Chips
        small
        items={pools.map((p) => p.name)}
        selected={pools.filter((p) => p.id === rule.poolId).map((p) => p.name)}
        onTap={(n) => onChange({ ...rule, poolId: pools.find((p) => p.name === n)!.id })}
      />
      <Chips
        small
        items={[REROUTE_ON_A]}
        selected={rule.rerouteOnA ? [REROUTE_ON_A] : []}
        onTap={() => onChange({ ...rule, rerouteOnA: !rule.rerouteOnA || undefined })}
      />
    </View>
  );
}

/** Saving with a holdout starts an A/B test against the current version (docs/intake-routing.md). */
const HOLDOUT = '保留对照组：10% 的新线索仍按当前版本分配（A/B 测试）';

/** A rule that re-routes leads an intent signal lifts into A-level (docs/signals.md). */
const REROUTE_ON_A = '意向升为A级时按此规则改派';

/** 「苏州 + 初三 + 抖音 → ?」: where a lead would go now, with the rule, pool, rep and why (nothing saved). */
function DryRun() {
  const [city, setCity] = useState('苏州');
  const [grade, setGrade] = useState<string | null>('初三');
  const [channel, setChannel] = useState('抖音-直播');
  const [answer, setAnswer] = useState('');
  const run = async () => {
    try {
      const r = await api<any>('POST', '/api/routing/dry-run', { city, channel, ...(grade ? { grade } : {}) });
      const where = r.outcome === 'assigned' ? `分给 ${r.owner?.name}` : r.outcome === 'queued' ? '进入轮转队列（等主管分配）' : '没有可分配的线索池';
      setAnswer(
        `${r.rule ? `规则 #${r.rule.index + 1}「${r.rule.name}」` : '默认线索池'} → ${r.pool?.name ?? '—'} → ${where}；评分 ${r.score.score}（${r.score.level}级）`,
      );
    } catch (e) {
      setAnswer((e as Error).message);
    }
  };
  return (
    <View className="preview" id="dry-run">
      <View className="label">试一试：这条线索会分给谁？</View>
      <View className="field__input">
        <Input className="input" value={city} placeholder="城市" onInput={(e) => setCity(e.detail.value)} />
        <Input className="input" value={channel} placeholder="渠道" onInput={(e) => setChannel(e.detail.value)} />
      </View>
      <Chips small items={['初一', '初二', '初三', '高三']} selected={grade ? [grade] : []} onTap={(g) => setGrade(g === grade ? null : g)} />
      <Text className="todo-btn todo-btn--primary" id="dry-run-go" onClick={() => void run()}>
        试算
      </Text>
      {answer ? (
        <View className="dry-run__answer" id="dry-run-answer">
          {answer}
        </View>
      ) : null}
    </View>
  );
}
