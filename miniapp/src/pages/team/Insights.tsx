import { Text, View } from '@tarojs/components';
import type { RepBattleResponse, TeamInsightsResponse } from '@lifeline/shared/src/metrics/types';
import { pct } from '../../dashboard/format';

const days = (hours: number | null) => (hours === null ? '—' : `${(hours / 24).toFixed(1)}天`);

/** Each rep's backlog, overdue and 48 h follow-up rate (red below the company's threshold). */
export function RepLoad({ data }: { data: RepBattleResponse }) {
  return (
    <View className="tbl" id="rep-load">
      <View className="tbl__row tbl__row--head">
        <Text className="tbl__c tbl__c--name">顾问</Text>
        <Text className="tbl__c">待跟进</Text>
        <Text className="tbl__c">逾期</Text>
        <Text className="tbl__c">48h跟进率</Text>
      </View>
      {data.reps.map((r) => (
        <View className="tbl__row" key={r.repId} id={`load-${r.repId}`}>
          <Text className="tbl__c tbl__c--name">{r.name}</Text>
          <Text className="tbl__c">{r.backlog}</Text>
          <Text className={`tbl__c${r.overdue ? ' tbl__c--red' : ''}`}>{r.overdue}</Text>
          <Text className={`tbl__c${r.followup48h.red ? ' tbl__c--red' : ''}`}>{pct(r.followup48h.value, 0)}</Text>
        </View>
      ))}
    </View>
  );
}

/** Time in each journey stage per rep against the team average, with the notable gaps in words first. */
export function StageTimes({ data }: { data: TeamInsightsResponse }) {
  return (
    <View id="stage-times">
      {data.callouts.length ? (
        <View className="callouts" id="callouts">
          {data.callouts.map((c) => (
            <View key={`${c.repId}-${c.node}`} className={`callout${c.diffDays > 0 ? ' callout--slow' : ''}`}>
              {c.text}
            </View>
          ))}
        </View>
      ) : (
        <View className="muted">各环节没有明显快慢差异（需顾问≥3次、团队≥5次停留，相差≥0.5天）</View>
      )}
      <View className="tbl tbl--scroll">
        <View className="tbl__row tbl__row--head">
          <Text className="tbl__c tbl__c--name">顾问</Text>
          {data.nodes.map((n) => (
            <Text key={n} className="tbl__c">
              {n}
            </Text>
          ))}
        </View>
        <View className="tbl__row tbl__row--team">
          <Text className="tbl__c tbl__c--name">团队平均</Text>
          {data.teamHours.map((h, i) => (
            <Text key={i} className="tbl__c">
              {days(h)}
            </Text>
          ))}
        </View>
        {data.reps.map((r) => (
          <View className="tbl__row" key={r.repId}>
            <Text className="tbl__c tbl__c--name">{r.name}</Text>
            {r.hours.map((h, i) => {
              const team = data.teamHours[i];
              const slow = h !== null && team !== null && h - team >= 12;
              return (
                <Text key={i} className={`tbl__c${slow ? ' tbl__c--red' : ''}`}>
                  {days(h)}
                </Text>
              );
            })}
          </View>
        ))}
      </View>
    </View>
  );
}

/** Mean days from enquiry to signing, by city and by centre. */
export function SigningCycle({ data }: { data: TeamInsightsResponse }) {
  const list = (title: string, rows: TeamInsightsResponse['signingDays']['byCity'], id: string) => (
    <View className="cycle" id={id}>
      <View className="label">{title}</View>
      {rows.length ? (
        rows.map((r) => (
          <View className="cycle__row" key={r.value}>
            <Text>{r.value}</Text>
            <Text className="cycle__days">{r.days} 天</Text>
            <Text className="muted">（{r.signed} 单）</Text>
          </View>
        ))
      ) : (
        <View className="muted">所选时间内没有签约</View>
      )}
    </View>
  );
  return (
    <View className="cycles">
      {list('按城市', data.signingDays.byCity, 'cycle-city')}
      {list('按中心', data.signingDays.byCentre, 'cycle-centre')}
    </View>
  );
}
