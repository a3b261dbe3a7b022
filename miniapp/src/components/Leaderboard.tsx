import { useEffect, useState } from 'react';
import { Text, View } from '@tarojs/components';
import { api } from '../lib/api';

interface Row {
  rank: number;
  userId: number;
  name: string;
  team: string | null;
  points: number;
  entries: number;
}
interface Board {
  day: string;
  week: { from: string; to: string };
  company: Row[];
  team: { id: number; name: string; items: Row[] } | null;
  weekCompany: Row[];
  weekTeam: Row[];
  me: { today: { points: number; rank: number | null }; week: { points: number; rank: number | null } };
}

function Rows({ rows, meId }: { rows: Row[]; meId?: number }) {
  if (!rows.length) return <View className="muted">还没有人得分</View>;
  return (
    <View>
      {rows.map((r) => (
        <View className={`board__row${r.userId === meId ? ' board__row--me' : ''}`} key={r.userId}>
          <Text className="board__rank">{r.rank}</Text>
          <Text className="board__name">
            {r.name}
            {r.team ? <Text className="muted"> · {r.team}</Text> : null}
          </Text>
          <Text className="board__points">{r.points} 分</Text>
        </View>
      ))}
    </View>
  );
}

/**
 * 录入榜 (docs/leaderboard.md): points for follow-ups that carry information. `compact` (the sidebar): my points today
 * and the team's top 5; otherwise (dashboards) the company's and the team's top 5 today and the week's totals.
 */
export function Leaderboard({ compact, meId, refreshKey }: { compact?: boolean; meId?: number; refreshKey?: unknown }) {
  const [b, setB] = useState<Board | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    void api<Board>('GET', '/api/leaderboard').then(setB, (e: Error) => setError(e.message));
  }, [refreshKey]);
  if (!b) return error ? <View className="muted">{error}</View> : null;
  const mine = `今天 ${b.me.today.points} 分${b.me.today.rank ? `，全公司第 ${b.me.today.rank} 名` : ''}；本周 ${b.me.week.points} 分`;
  if (compact) {
    return (
      <View className="board board--compact" id="leaderboard">
        <View className="board__head">
          <Text className="section-title">今日录入榜</Text>
          <Text className="muted"> {mine}</Text>
        </View>
        <Rows rows={(b.team?.items.length ? b.team.items : b.company).slice(0, 5)} meId={meId} />
        <View className="muted board__rule">有内容的结论、约定下一步才得分；10分钟内同一线索重复记录、复制结论不计分</View>
      </View>
    );
  }
  return (
    <View className="dcard board" id="leaderboard">
      <View className="dcard__head">
        <Text className="dcard__title">录入榜</Text>
        <Text className="dcard__sub">
          {b.day} · 我：{mine}
        </Text>
      </View>
      <View className="board__cols">
        <View className="board__col">
          <View className="label">今日 · 全公司前5</View>
          <Rows rows={b.company} meId={meId} />
        </View>
        {b.team ? (
          <View className="board__col">
            <View className="label">今日 · {b.team.name}</View>
            <Rows rows={b.team.items} meId={meId} />
          </View>
        ) : null}
        <View className="board__col">
          <View className="label">
            本周累计（{b.week.from.slice(5)} ~ {b.week.to.slice(5)}）
          </View>
          <Rows rows={b.weekCompany.slice(0, 5)} meId={meId} />
        </View>
      </View>
    </View>
  );
}
