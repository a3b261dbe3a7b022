import { Leaderboard } from '../../components/Leaderboard';
import { MissCurves } from '../../dashboard/MissCurves';
import { useEffect, useMemo, useState } from 'react';
import { Text, View } from '@tarojs/components';
import type { ChannelRoiResponse, JourneyHeatResponse, KpisResponse, LeadHealthResponse, RepBattleResponse } from '@lifeline/shared/src/metrics/types';
import { api, apiUrl, authHeader, hasToken } from '../../lib/api';
import { detectPlatform, devLogin, dingtalkLogin, linkLogin, pageQuery, wecomLogin, type Platform, type SidebarConfig } from '../../lib/platform';
import { canExport, canOpen, isView, VIEWS, viewsFor, type ViewId } from '../../dashboard/access';
import { defaultFilters, filterQuery, type Filters } from '../../dashboard/filters';
import { FilterBar } from '../../dashboard/FilterBar';
import { ChannelRoi } from '../../dashboard/ChannelRoi';
import { JourneyHeat, type HeatBy } from '../../dashboard/JourneyHeat';
import { LeadHealth } from '../../dashboard/LeadHealth';
import { RepBattle } from '../../dashboard/RepBattle';
import { Forbidden, Gate, KpiStrip, Stamp } from '../../dashboard/parts';
import { useMetric } from '../../dashboard/useMetric';
import { NavBar } from '../../components/NavBar';
import './index.css';

interface Me {
  id: number;
  name: string;
  role: string;
  roleLabel?: string;
  canExport?: boolean;
}

export default function Dashboard() {
  const [platform] = useState<Platform>(detectPlatform);
  const [me, setMe] = useState<Me | null>(null);
  const [users, setUsers] = useState<Me[]>([]);
  const [grades, setGrades] = useState<string[]>([]);
  const [fatal, setFatal] = useState('');
  const q = useMemo(pageQuery, []);
  const [view, setView] = useState<ViewId>(isView(q.view) ? q.view : 'health');
  const [heatBy, setHeatBy] = useState<HeatBy>((['city', 'grade', 'channel', 'unit'] as const).find((b) => b === q.by) ?? 'city');
  const [filters, setFilters] = useState<Filters>(defaultFilters);
  const [notice, setNotice] = useState<{ ok: boolean; text: string } | null>(null);
  const [exporting, setExporting] = useState(false);

  // The same sign-in as the sidebar: WeCom OAuth / DingTalk auth code / the stored session / demo login.
  useEffect(() => {
    void signIn(platform, { setMe, setGrades, setUsers, setFatal });
  }, [platform]);

  const allowed = me ? canOpen(me.role, view) : false;
  const isRep = me?.role === 'rep';
  const qs = filterQuery(filters);
  const kpis = useMetric<KpisResponse>(me && allowed && view === 'health' ? `/api/metrics/kpis?${qs}` : null, me?.id);
  const health = useMetric<LeadHealthResponse>(me && allowed && view === 'health' ? `/api/metrics/lead-health?${qs}` : null, me?.id);
  const battle = useMetric<RepBattleResponse>(me && allowed && view === 'battle' ? `/api/metrics/rep-battle?${qs}` : null, me?.id);
  const roi = useMetric<ChannelRoiResponse>(me && allowed && view === 'roi' ? `/api/metrics/channel-roi?${qs}` : null, me?.id);
  const heat = useMetric<JourneyHeatResponse>(me && allowed && view === 'heat' ? `/api/metrics/journey-heat?${qs}&by=${heatBy}` : null, me?.id);

  const go = (v: ViewId) => {
    setView(v);
    setNotice(null);
    keepViewInAddress(v);
  };

  const switchUser = async (u: Me) => {
    await devLogin({ userId: u.id });
    setFilters(defaultFilters());
    setMe(await api<Me>('GET', '/api/me'));
  };

  const info = VIEWS.find((v) => v.id === view)!;

  const exportCsv = async () => {
    if (!me || exporting) return;
    const url = apiUrl(`/api/metrics/export?view=${info.exportView}&${qs}${view === 'heat' ? `&by=${heatBy}` : ''}`);
    if (process.env.TARO_ENV !== 'h5') {
      setNotice({ ok: false, text: '小程序内不支持下载文件，请在电脑或浏览器中打开侧边栏导出' });
      return;
    }
    setExporting(true);
    try {
      setNotice(await downloadCsv(url, `${info.label}-${filters.from}-${filters.to}.csv`));
    } finally {
      setExporting(false);
    }
  };

  if (fatal)
    return (
      <View className="page">
        <View className="error" id="fatal">
          {fatal}
        </View>
      </View>
    );
  if (!me)
    return (
      <View className="page">
        <View className="muted">加载中…</View>
      </View>
    );

  const tabs = viewsFor(me.role);
  const exportAllowed = canExport(me.role, me.canExport);
  const title = isRep ? '我的数据' : '数据看板';

  return (
    <View className="page dash">
      <DashHeader title={title} me={me} users={users} onUser={(u) => void switchUser(u)} />

      {tabs.length > 1 ? <Tabs tabs={tabs} view={view} go={go} /> : null}

      {!allowed ? (
        <>
          <Forbidden title={info.label} message={`「${info.label}」面向${info.audience}，你的角色（${me.roleLabel ?? me.role}）不能查看。`} />
          <View className="btn btn--ghost" id="to-allowed" onClick={() => go(tabs[0])}>
            {isRep ? '查看我的数据' : `查看${VIEWS.find((v) => v.id === tabs[0])!.label}`}
          </View>
        </>
      ) : (
        <>
          <FilterBar value={filters} onChange={setFilters} full={!isRep} grades={grades} />
          {isRep ? (
            <View className="scope-note" id="scope-note">
              仅统计分配给你本人的线索
            </View>
          ) : null}
          {notice ? (
            <View className={notice.ok ? 'notice' : 'notice notice--bad'} id="dash-notice" onClick={() => setNotice(null)}>
              {notice.text}
            </View>
          ) : null}

          <ViewBody
            view={view}
            label={info.label}
            me={me}
            isRep={isRep}
            res={{ kpis, health, battle, roi, heat }}
            heatBy={heatBy}
            onHeatBy={setHeatBy}
            qs={qs}
          />

          {exportAllowed ? (
            <View className={`btn btn--ghost${exporting ? ' btn--busy' : ''}`} id="export" onClick={() => void exportCsv()}>
              {exporting ? '导出中…' : `导出「${info.label}」CSV`}
            </View>
          ) : null}
        </>
      )}
    </View>
  );
}

/** The same sign-in as the sidebar: WeCom OAuth / DingTalk auth code / the stored session / demo login. */
async function signIn(
  platform: Platform,
  set: {
    setMe: (m: Me) => void;
    setGrades: (g: string[]) => void;
    setUsers: (u: Me[]) => void;
    setFatal: (f: string) => void;
  },
): Promise<void> {
  try {
    const cfg = await api<SidebarConfig>('GET', '/api/sidebar/config');
    if ((await linkLogin(platform, cfg)) === 'redirected') return;
    if (platform === 'wecom' && cfg.wecom && !hasToken() && !(await wecomLogin(cfg))) return;
    if ((platform === 'dingtalk' || platform === 'dd') && cfg.dingtalk && !hasToken()) await dingtalkLogin(cfg);
    let who: Me | null = hasToken() ? await api<Me>('GET', '/api/me').catch(() => null) : null;
    if (!who) {
      if (!cfg.demo) {
        set.setFatal('请在企业微信或钉钉中打开');
        return;
      }
      await devLogin({ role: 'director' });
      who = await api<Me>('GET', '/api/me');
    }
    set.setMe(who);
    const [meta, list] = await Promise.all([
      api<{ grades: string[] }>('GET', '/api/meta').catch(() => ({ grades: [] as string[] })),
      cfg.demo && platform === 'browser' ? api<{ items: Me[] }>('GET', '/api/auth/dev-users').catch(() => ({ items: [] as Me[] })) : null,
    ]);
    set.setGrades(meta.grades);
    if (list) set.setUsers(list.items.filter((u: any) => u.active !== false));
  } catch (e) {
    set.setFatal((e as Error).message);
  }
}

/** Keeps the address shareable on H5 (…/#/pages/dashboard/index?view=battle). */
function keepViewInAddress(v: ViewId): void {
  if (process.env.TARO_ENV === 'h5' && typeof location !== 'undefined') {
    const [path, query = ''] = location.hash.split('?');
    const p = new URLSearchParams(query);
    p.set('view', v);
    history.replaceState(history.state, '', `${location.pathname}${location.search}${path}?${p.toString()}`);
  }
}

/** Fetches the CSV export and hands it to the browser as a download; the notice to show. */
async function downloadCsv(url: string, fallbackName: string): Promise<{ ok: boolean; text: string }> {
  try {
    const res = await fetch(url, { headers: authHeader() });
    if (!res.ok) {
      const body = await res.json().catch(() => null);
      const msg = body?.error?.message ?? `导出失败（${res.status}）`;
      return { ok: false, text: res.status === 403 ? `无权导出：${msg}` : msg };
    }
    const blob = await res.blob();
    const cd = res.headers.get('content-disposition') ?? '';
    const m = /filename\*=UTF-8''([^;]+)/i.exec(cd) ?? /filename="?([^";]+)"?/i.exec(cd);
    const name = m ? decodeURIComponent(m[1]) : fallbackName;
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(() => {
      URL.revokeObjectURL(a.href);
      a.remove();
    }, 1000);
    return { ok: true, text: `已导出 ${name}` };
  } catch {
    return { ok: false, text: '网络异常，导出失败' };
  }
}

function DashHeader({ title, me, users, onUser }: { title: string; me: Me; users: Me[]; onUser: (u: Me) => void }) {
  return (
    <>
      <NavBar current="dashboard" me={me} users={users} onUser={onUser} />
      <Text className="header__title" id="dash-title">
        {title}
      </Text>
    </>
  );
}

interface ViewResults {
  kpis: ReturnType<typeof useMetric<KpisResponse>>;
  health: ReturnType<typeof useMetric<LeadHealthResponse>>;
  battle: ReturnType<typeof useMetric<RepBattleResponse>>;
  roi: ReturnType<typeof useMetric<ChannelRoiResponse>>;
  heat: ReturnType<typeof useMetric<JourneyHeatResponse>>;
}

/** The open view's figures. */
function ViewBody({
  view,
  label,
  me,
  isRep,
  res,
  heatBy,
  onHeatBy,
  qs,
}: {
  view: ViewId;
  label: string;
  me: Me;
  isRep: boolean;
  res: ViewResults;
  heatBy: HeatBy;
  onHeatBy: (b: HeatBy) => void;
  qs: string;
}) {
  return (
    <>
      {view === 'health' ? (
        <>
          <Gate res={res.kpis} title="关键指标">
            {(d) => (
              <View className="dcard" id="kpi-card">
                <View className="dcard__head">
                  <Text className="dcard__title">关键指标</Text>
                  <Text className="dcard__sub">红色 = 未达目标，点指标看口径</Text>
                </View>
                <KpiStrip data={d} />
                <Stamp updatedAt={d.updatedAt} computedAt={d.computedAt} />
              </View>
            )}
          </Gate>
          <Gate res={res.health} title={label}>
            {(d) => <LeadHealth data={d} own={isRep || d.scope.limitedTo === 'own'} />}
          </Gate>
          <Leaderboard meId={me.id} />
          {isRep ? null : <MissCurves />}
        </>
      ) : null}
      {view === 'battle' ? (
        <Gate res={res.battle} title={label}>
          {(d) => <RepBattle data={d} />}
        </Gate>
      ) : null}
      {view === 'roi' ? (
        <Gate res={res.roi} title={label}>
          {(d) => <ChannelRoi data={d} canEditSpend={me.role === 'ops' || me.role === 'director' || me.role === 'admin'} onSpendSaved={res.roi.reload} />}
        </Gate>
      ) : null}
      {view === 'heat' ? (
        <Gate res={res.heat} title={label}>
          {(d) => <JourneyHeat data={d} by={heatBy} onBy={onHeatBy} query={qs} viewerId={me.id} />}
        </Gate>
      ) : null}
    </>
  );
}

function Tabs({ tabs, view, go }: { tabs: ViewId[]; view: ViewId; go: (v: ViewId) => void }) {
  return (
    <View className="tabs" id="tabs">
      {VIEWS.filter((v) => tabs.includes(v.id)).map((v) => (
        <View key={v.id} id={`tab-${v.id}`} className={`tab${v.id === view ? ' tab--on' : ''}`} onClick={() => go(v.id)}>
          {v.label}
        </View>
      ))}
    </View>
  );
}
