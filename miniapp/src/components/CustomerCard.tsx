import { CoOwnerLine } from './CoOwner';
import { Text, View } from '@tarojs/components';
import { formatShanghai } from '@lifeline/shared/src/dates/shanghai-time';

export interface Interaction {
  followupId: number;
  at: number;
  action: string;
  conclusion: string;
  nextStepAt: number | null;
  nextStepAction: string | null;
  authorName: string | null;
}

export interface Lookup {
  normalized: string;
  valid: boolean;
  masked: string;
  error: string | null;
  attribution: { province: string | null; city: string | null; carrier: string | null; label: string } | null;
  customer:
    | { id: number; visible: false; name: string | null; owners: string[] }
    | {
        id: number;
        visible: true;
        name: string | null;
        grade: string | null;
        concerns: string[];
        tags: string[];
        channel: string;
        journeyNode: string;
        scoreLevel: string;
        score: number;
        /** Why the score: weights and live intent signals with when (absent from servers before signals). */
        scoreExplained?: string;
        leads: Array<{
          id: number;
          status: string;
          journeyNode: string;
          ownerName: string | null;
          ownerId: number | null;
          coOwnerId?: number | null;
          coOwnerName?: string | null;
        }>;
        lastInteractions: Interaction[];
        /** Rule-based, every point explained; absent from servers before the integration hub. */
        health?: { score: number; level: 'good' | 'watch' | 'risk'; levelLabel: string; lines: { label: string; points: number }[]; warning: string | null };
        openTickets?: { id: number; ticketId: string; category: string; fault: boolean; summary: string | null }[];
      }
    | null;
}

export function Attribution({ lookup }: { lookup: Lookup }) {
  const a = lookup.attribution;
  if (!a) return null;
  const place =
    [a.province, a.city]
      .filter(Boolean)
      .filter((v, i, arr) => arr.indexOf(v) === i)
      .join(' ') || '未知地区';
  return (
    <View className="attribution" id="attribution">
      <Text className="attribution__place">{place}</Text>
      {a.carrier ? <Text className="attribution__carrier"> · {a.carrier}</Text> : null}
      <Text className="muted">（{a.label}）</Text>
    </View>
  );
}

export function Timeline({ items, title = '最近 3 次互动' }: { items: Interaction[]; title?: string }) {
  return (
    <View className="timeline" id="timeline">
      <View className="section-title">{title}</View>
      {items.length === 0 ? <View className="muted">还没有跟进记录</View> : null}
      {items.slice(0, 3).map((i) => (
        <View className="timeline__item" key={i.followupId}>
          <View className="timeline__head">
            <Text className="timeline__action">{i.action}</Text>
            <Text className="muted">
              {' '}
              {formatShanghai(i.at)}
              {i.authorName ? ` · ${i.authorName}` : ''}
            </Text>
          </View>
          {i.conclusion ? <View className="timeline__text">{i.conclusion}</View> : null}
          {i.nextStepAt ? (
            <View className="muted">
              下一步：{formatShanghai(i.nextStepAt)} {i.nextStepAction ?? ''}
            </View>
          ) : null}
        </View>
      ))}
    </View>
  );
}

export function CustomerCard({ lookup, canSetCoOwner = false, onChanged }: { lookup: Lookup; canSetCoOwner?: boolean; onChanged?: () => void }) {
  const c = lookup.customer;
  if (!c) return null;
  if (!c.visible) {
    return (
      <View className="card card--warn" id="customer">
        {c.name ?? '该客户'} 已由 {c.owners.join('、') || '其他同事'} 跟进，你无权查看详情。
      </View>
    );
  }
  return (
    <View className="card" id="customer">
      <View className="customer__head">
        <Text className="customer__name">{c.name ?? '未命名客户'}</Text>
        <Text className={`level level--${c.scoreLevel}`}>{c.scoreLevel}级</Text>
      </View>
      <View className="customer__meta">
        {[c.grade, c.channel, c.journeyNode].filter(Boolean).join(' · ')}
        {c.concerns.length ? ` · 关注${c.concerns.join('、')}` : ''}
      </View>
      {c.health?.warning ? (
        <View className="service-warning" id="service-warning">
          ⚠ {c.health.warning}
          {c.openTickets?.length ? `：${c.openTickets.map((t) => `${t.category}${t.summary ? `「${t.summary}」` : ''}`).join('；')}` : ''}
        </View>
      ) : null}
      {c.scoreExplained ? (
        <View className="score-line muted" id="score-line">
          评分 {c.score}：{c.scoreExplained}
        </View>
      ) : null}
      {c.health ? <HealthLine health={c.health} /> : null}
      {c.leads[0] ? <CoOwnerLine lead={c.leads[0]} canEdit={canSetCoOwner} onChanged={() => onChanged?.()} /> : null}
      <Timeline items={c.lastInteractions} />
    </View>
  );
}

/** 客户健康分 in one line: the score, its level and why (tap to see each rule's points). */
function HealthLine({ health }: { health: NonNullable<Extract<NonNullable<Lookup['customer']>, { visible: true }>['health']> }) {
  const why = health.lines.map((l) => `${l.label} ${l.points}`).join('，');
  return (
    <View className={`health-line health-line--${health.level}`} id="customer-health">
      <Text className="health-line__score">
        健康分 {health.score} · {health.levelLabel}
      </Text>
      {why ? <Text className="muted"> （{why}）</Text> : null}
    </View>
  );
}
