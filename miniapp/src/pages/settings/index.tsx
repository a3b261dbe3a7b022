import { useState } from 'react';
import { Text, View } from '@tarojs/components';
import { useSession } from '../../lib/session';
import { NavBar } from '../../components/NavBar';
import { WeightsSection } from './Weights';
import { AlarmsSection } from './Alarms';
import { PeopleSection } from './People';
import { ScriptsSection } from './Scripts';
import { RoutingSection } from './Routing';
import { VocabularySection } from './Vocabulary';
import { ChannelsSection } from './Channels';
import { ContentSection } from './Content';
import { DataSafetySection } from './DataSafety';
import { IntegrationsSection } from './Integrations';
import { SignalsSection } from './Signals';
import { LeaderboardRulesSection } from './LeaderboardRules';
import { FieldLiftSection } from './FieldLift';
import { pageQuery } from '../../lib/platform';
import './index.css';

type SectionId =
  | 'weights'
  | 'fieldLift'
  | 'signals'
  | 'leaderboard'
  | 'routing'
  | 'alarms'
  | 'vocabulary'
  | 'content'
  | 'scripts'
  | 'channels'
  | 'people'
  | 'safety'
  | 'integrations';

/** Which sections a role may open here (the server's role table decides what is saved). */
function sectionsFor(role: string): { id: SectionId; label: string }[] {
  const all = [
    { id: 'weights' as const, label: '评分权重', roles: ['admin'] },
    { id: 'fieldLift' as const, label: '字段复盘', roles: ['admin', 'ops'] },
    { id: 'signals' as const, label: '意向信号', roles: ['admin'] },
    { id: 'routing' as const, label: '分配规则', roles: ['admin'] },
    { id: 'leaderboard' as const, label: '录入积分', roles: ['admin'] },
    { id: 'alarms' as const, label: '提醒规则', roles: ['admin', 'ops'] },
    { id: 'vocabulary' as const, label: '词表', roles: ['admin', 'ops'] },
    { id: 'content' as const, label: '标签资料', roles: ['admin', 'ops'] },
    { id: 'scripts' as const, label: '话术库', roles: ['admin', 'ops'] },
    { id: 'channels' as const, label: '渠道与导入', roles: ['admin', 'ops'] },
    { id: 'people' as const, label: '人员', roles: ['admin', 'ops'] },
    { id: 'safety' as const, label: '数据安全', roles: ['admin', 'ops'] },
    { id: 'integrations' as const, label: '系统对接', roles: ['admin', 'ops'] },
  ];
  return all.filter((s) => s.roles.includes(role));
}

/** 设置 (admin; ops where the role table allows): each section saves through the existing APIs, validation inline. */
export default function Settings() {
  const { me, users, fatal, switchUser } = useSession('admin');
  // A delete-spike alarm opens 数据安全 directly (section=safety, with the person and time to undo).
  const [open, setOpen] = useState<SectionId | null>((pageQuery().section as SectionId | undefined) ?? null);
  const [notice, setNotice] = useState('');
  if (fatal) return <View className="page error">{fatal}</View>;
  if (!me) return <View className="page muted">加载中…</View>;
  const sections = sectionsFor(me.role);
  const current = sections.find((s) => s.id === open) ?? sections[0];
  return (
    <View className="page page--wide settings">
      <NavBar current="settings" me={me} users={users} onUser={(u) => void switchUser(u)} />
      {!current ? (
        <View className="error" id="settings-forbidden">
          「设置」面向管理员和运营，你的角色（{me.roleLabel ?? me.role}）不能修改公司设置。
        </View>
      ) : (
        <View className="settings__layout">
          <View className="settings__menu" id="settings-menu">
            {sections.map((s) => (
              <Text
                key={s.id}
                id={`menu-${s.id}`}
                className={`settings__item${s.id === current.id ? ' settings__item--on' : ''}`}
                onClick={() => {
                  setOpen(s.id);
                  setNotice('');
                }}
              >
                {s.label}
              </Text>
            ))}
          </View>
          <View className="settings__body">
            <Text className="settings__title">{current.label}</Text>
            {notice ? (
              <View className="notice ok-notice" id="settings-notice">
                ✓ {notice}
              </View>
            ) : null}
            {current.id === 'weights' ? <WeightsSection onSaved={setNotice} /> : null}
            {current.id === 'alarms' ? <AlarmsSection canEdit={me.role === 'admin'} onSaved={setNotice} /> : null}
            {current.id === 'fieldLift' ? <FieldLiftSection canAccept={me.role === 'admin'} onSaved={setNotice} /> : null}
            {current.id === 'signals' ? <SignalsSection onSaved={setNotice} /> : null}
            {current.id === 'routing' ? <RoutingSection onSaved={setNotice} /> : null}
            {current.id === 'leaderboard' ? <LeaderboardRulesSection onSaved={setNotice} /> : null}
            {current.id === 'vocabulary' ? <VocabularySection canEdit={me.role === 'admin'} onSaved={setNotice} /> : null}
            {current.id === 'content' ? <ContentSection canEdit onSaved={setNotice} /> : null}
            {current.id === 'scripts' ? <ScriptsSection onSaved={setNotice} /> : null}
            {current.id === 'channels' ? <ChannelsSection onSaved={setNotice} /> : null}
            {current.id === 'people' ? <PeopleSection isAdmin={me.role === 'admin'} onSaved={setNotice} /> : null}
            {current.id === 'safety' ? <DataSafetySection isAdmin={me.role === 'admin'} onSaved={setNotice} /> : null}
            {current.id === 'integrations' ? <IntegrationsSection isAdmin={me.role === 'admin'} onSaved={setNotice} /> : null}
          </View>
        </View>
      )}
    </View>
  );
}
