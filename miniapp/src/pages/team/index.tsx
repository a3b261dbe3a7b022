import { useCallback, useEffect, useState } from 'react';
import { Text, View } from '@tarojs/components';
import type { RepBattleResponse, TeamInsightsResponse } from '@lifeline/shared/src/metrics/types';
import { api } from '../../lib/api';
import { useSession } from '../../lib/session';
import { NavBar } from '../../components/NavBar';
import { defaultFilters, filterQuery } from '../../dashboard/filters';
import { cnDateTime } from '../../dashboard/format';
import { AssignRow, type Escalation } from './Assign';
import { RepLoad, SigningCycle, StageTimes } from './Insights';
import { Referrals } from './Referrals';
import { Experiments } from '../../components/Experiments';
import './index.css';

interface DeletedLead {
  id: number;
  customer: { name: string | null } | null;
  channel: string;
  ownerName: string | null;
  deletedAt: number;
}

const MANAGERS = ['supervisor', 'ops', 'director', 'admin'];
const ASSIGNERS = ['supervisor', 'admin'];

/**
 * 团队 (supervisor and above, scoped): leads to assign or reassign with a reason, each rep's load, time per journey
 * stage against the team, days to signing by city and centre, and the recycle bin.
 */
export default function Team() {
  const { me, users, fatal, switchUser } = useSession('supervisor');
  const [notice, setNotice] = useState('');
  const data = useTeamData(me?.id, me ? MANAGERS.includes(me.role) : false);

  if (fatal) return <View className="page error">{fatal}</View>;
  if (!me) return <View className="page muted">加载中…</View>;
  if (!MANAGERS.includes(me.role))
    return (
      <View className="page">
        <NavBar current="team" me={me} users={users} onUser={(u) => void switchUser(u)} />
        <View className="error" id="team-forbidden">
          「团队」面向主管及以上，顾问请在「我的待办」处理自己的线索。
        </View>
      </View>
    );
  const canAssign = ASSIGNERS.includes(me.role);
  const done = (msg: string) => {
    setNotice(msg);
    void data.reload();
  };
  return (
    <View className="page page--wide team">
      <NavBar current="team" me={me} users={users} onUser={(u) => void switchUser(u)} />
      {notice ? (
        <View className="notice" id="team-notice" onClick={() => setNotice('')}>
          {notice}
        </View>
      ) : null}
      {data.error ? <View className="error">{data.error}</View> : null}
      <View className="team__grid">
        <Section id="escalations" title={`待分配 ${data.escalations.length} 条`} sub="轮转队列与超时未认领的线索">
          {data.escalations.length ? null : <View className="muted">没有待分配的线索</View>}
          {data.escalations.map((e) =>
            canAssign ? (
              <AssignRow key={e.leadId} e={e} reps={data.reps} onDone={done} />
            ) : (
              <View key={e.leadId} className="assign">
                <Text className="assign__name">{e.customerName}</Text> <Text className="assign__why">{e.why}</Text>
                <View className="muted">{e.facts}</View>
              </View>
            ),
          )}
        </Section>
        {me.role !== 'director' ? (
          <Section id="partner-referrals" title="合作方推荐" sub="需审核的渠道商推荐，通过后自动分配">
            <Referrals onDone={done} />
          </Section>
        ) : null}
        <Section id="routing-experiments" title="分配规则 A/B 测试" sub="新规则与上一版对比：首次联系与签约">
          <Experiments canStop={false} />
        </Section>
        <Section id="load" title="顾问负载" sub="近30天，48小时跟进率低于目标标红">
          {data.battle ? <RepLoad data={data.battle} /> : <View className="muted">加载中…</View>}
        </Section>
        <Section id="stages" wide title="各环节耗时" sub="每位顾问对比团队平均（近30天留资的线索）">
          {data.insights ? <StageTimes data={data.insights} /> : <View className="muted">加载中…</View>}
        </Section>
        <Section id="cycle" title="从留资到签约" sub="平均天数">
          {data.insights ? <SigningCycle data={data.insights} /> : <View className="muted">加载中…</View>}
        </Section>
        {canAssign ? (
          <Section id="bin" title="回收站" sub="删除的线索可以恢复">
            {data.deleted.length ? null : <View className="muted">回收站是空的</View>}
            {data.deleted.map((l) => (
              <View className="bin__row" key={l.id} id={`bin-${l.id}`}>
                <View className="bin__main">
                  <Text className="assign__name">{l.customer?.name ?? '未命名客户'}</Text>
                  <View className="muted">
                    {l.channel} · 负责人 {l.ownerName ?? '—'} · 删除于 {cnDateTime(l.deletedAt)}
                  </View>
                </View>
                <Text
                  className="todo-btn bin__restore"
                  onClick={() =>
                    void api('POST', `/api/leads/${l.id}/restore`).then(
                      () => done(`已恢复：${l.customer?.name ?? '线索'}`),
                      (e: Error) => setNotice(e.message),
                    )
                  }
                >
                  恢复
                </Text>
              </View>
            ))}
          </Section>
        ) : null}
      </View>
    </View>
  );
}

function Section({ id, title, sub, wide, children }: { id: string; title: string; sub?: string; wide?: boolean; children: React.ReactNode }) {
  return (
    <View className={`section${wide ? ' section--wide' : ''}`} id={id}>
      <View className="section__head">
        <Text className="section__title">{title}</Text>
        {sub ? <Text className="section__sub">{sub}</Text> : null}
      </View>
      {children}
    </View>
  );
}

/** Everything the page shows, loaded in parallel for the signed-in manager; `reload` after an assignment or restore. */
function useTeamData(meId: number | undefined, allowed: boolean) {
  const [escalations, setEscalations] = useState<Escalation[]>([]);
  const [reps, setReps] = useState<{ id: number; name: string }[]>([]);
  const [battle, setBattle] = useState<RepBattleResponse | null>(null);
  const [insights, setInsights] = useState<TeamInsightsResponse | null>(null);
  const [deleted, setDeleted] = useState<DeletedLead[]>([]);
  const [error, setError] = useState('');
  const reload = useCallback(async () => {
    if (!meId || !allowed) return;
    const qs = filterQuery(defaultFilters());
    const soft = <T,>(p: Promise<T>, fallback: T) => p.catch(() => fallback);
    try {
      const [queue, todo, people, b, ins, bin] = await Promise.all([
        soft(api<{ items: any[] }>('GET', '/api/routing/queue'), { items: [] }),
        api<{ items: any[] }>('GET', '/api/todo'),
        api<{ items: { id: number; name: string; role: string }[] }>('GET', '/api/users?role=rep&active=true&pageSize=200'),
        api<RepBattleResponse>('GET', `/api/metrics/rep-battle?${qs}`),
        api<TeamInsightsResponse>('GET', `/api/metrics/team-insights?${qs}`),
        soft(api<{ items: DeletedLead[] }>('GET', '/api/leads?deleted=true&pageSize=50'), { items: [] }),
      ]);
      const facts = (x: any) => [x.grade, x.city, x.channel].filter(Boolean).join(' · ');
      setEscalations([
        ...queue.items.map((q) => ({ leadId: q.leadId, customerName: q.customerName, facts: facts(q), why: '轮转队列', ownerId: null, queued: true })),
        ...todo.items
          .filter((t) => t.reason === 'unclaimed' && t.overdue)
          .map((t) => ({
            leadId: t.leadId,
            customerName: t.customerName,
            facts: `${facts(t)} · 负责人 ${t.ownerName}`,
            why: t.label,
            ownerId: t.ownerId,
            queued: false,
          })),
      ]);
      setReps(people.items.filter((u) => u.role === 'rep'));
      setBattle(b);
      setInsights(ins);
      setDeleted(bin.items);
      setError('');
    } catch (e) {
      setError((e as Error).message);
    }
  }, [meId, allowed]);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { escalations, reps, battle, insights, deleted, error, reload };
}
