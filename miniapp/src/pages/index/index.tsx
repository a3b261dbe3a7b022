import { Leaderboard } from '../../components/Leaderboard';
import { useCallback, useEffect, useState } from 'react';
import Taro from '@tarojs/taro';
import { Input, Text, View } from '@tarojs/components';
import { api, hasToken } from '../../lib/api';
import { detectPlatform, devLogin, dingtalkLogin, pageQuery, wecomLogin, type Platform, type SidebarConfig } from '../../lib/platform';
import { phoneFromChat, sendChatText } from '../../lib/wecom';
import { flush, refused, waiting, type PendingFollowup } from '../../lib/outbox';
import { RefusedEntries } from '../../components/RefusedEntries';
import { Attribution, CustomerCard, Timeline, type Interaction, type Lookup } from '../../components/CustomerCard';
import { FollowupForm, type FormLead, type Meta, type Prefill } from '../../components/FollowupForm';
import { NewCustomer } from '../../components/NewCustomer';
import { NavBar } from '../../components/NavBar';
import { Panels, type ScriptPick } from '../../components/Panels';

interface Me {
  id: number;
  name: string;
  role: string;
}

export default function Index() {
  const [platform] = useState<Platform>(detectPlatform);
  const { config, me, setMe, users, meta, setMeta, fatal } = useSession(platform);
  const [saved, setSaved] = useState<{ summary: string; timeline: Interaction[] } | null>(null);
  const { phone, setPhone, lookup, setLookup, phoneError, lead, setLead, doLookup, openLead, onPhone, phoneBlur } = usePhoneLookup(me?.id, () =>
    setSaved(null),
  );
  const [prefill, setPrefill] = useState<Prefill | null>(null);
  const [pick, setPick] = useState<ScriptPick | null>(null);
  const [notice, setNotice] = useState('');
  const { queue, kept, refresh, retryNow } = useDeviceOutbox(setNotice);
  const fromTodo = pageQuery().from === 'todo';
  const [todoCount, countTodo] = useTodoCount(me?.id);

  // After sign-in: the deep link (?leadId=N&pick=ID) or the WeCom chat's customer.
  useEffect(() => {
    if (!me || !config) return;
    void openFromLinkOrChat(platform, config, { setPhone, doLookup, openLead, setPick, setPrefill, setNotice });
  }, [me?.id, config]);

  const clearEntry = () => {
    setPhone('');
    setLookup(null);
    setLead(null);
    showTop();
  };

  const onSaved = async (summary: string, leadId: number) => {
    refresh();
    countTodo();
    setSaved({ summary, timeline: await recentTimeline(leadId) });
    clearEntry();
    setPick(null);
    setPrefill(null);
  };

  const reload = () => (lead && phone.includes('*') ? openLead(lead.id) : doLookup(phone));
  const onQueued = (summary: string) => {
    refresh();
    setNotice(`网络异常：「${summary}」已暂存在本机，恢复后自动补发`);
    clearEntry();
  };

  const switchUser = async (u: Me) => {
    await devLogin({ userId: u.id });
    setMe(await api<Me>('GET', '/api/me'));
    setMeta(await api<Meta>('GET', '/api/meta'));
    onPhone('');
  };

  if (fatal)
    return (
      <View className="page">
        <View className="error" id="fatal">
          {fatal}
        </View>
      </View>
    );
  if (!config || !me || !meta)
    return (
      <View className="page">
        <View className="muted">加载中…</View>
      </View>
    );

  return (
    <View className="page">
      <NavBar current="followup" me={me} users={users} onUser={(u) => void switchUser(u)} badge={todoCount} />
      {queue.length ? (
        <View className="pending" id="pending">
          <Text>
            待发送 {queue.length} 条：{queue.map((q) => q.label).join('；')}
          </Text>
          <Text className="link" onClick={() => void retryNow()}>
            {' '}
            立即重试
          </Text>
        </View>
      ) : null}
      {notice ? (
        <View className="notice" id="notice" onClick={() => setNotice('')}>
          {notice}
        </View>
      ) : null}
      <RefusedEntries
        items={kept}
        onChange={(n) => {
          refresh();
          setNotice(n);
        }}
      />
      {saved ? <SavedNote summary={saved.summary} timeline={saved.timeline} fromTodo={fromTodo} todoLeft={todoCount} /> : null}

      <View className="label">客户手机号</View>
      <Input
        id="phone"
        className="input input--phone"
        type="number"
        maxlength={14}
        value={phone}
        placeholder="输入11位手机号"
        onInput={(e) => onPhone(e.detail.value)}
        onBlur={phoneBlur}
      />
      {phoneError ? (
        <View className="error" id="phone-error">
          {phoneError}
        </View>
      ) : null}
      {lookup?.valid ? <Found lookup={lookup} platform={platform} role={me.role} reload={(t) => void (t ? doLookup(t) : reload())} /> : null}

      {lookup?.customer?.visible ? (
        <Panels
          customerId={lookup.customer.id}
          pick={pick}
          canSendContent={meta?.canSendContent !== false}
          onSendPick={platform === 'wecom' && config.wecom ? (p) => sendChatText(config, p.text) : undefined}
        />
      ) : null}

      <FollowupForm lead={lead} meta={meta} platform={platform} config={config} prefill={prefill} onSaved={onSaved} onQueued={onQueued} />
      {me ? <Leaderboard compact meId={me.id} refreshKey={saved} /> : null}
      {platform === 'browser' && config.demo ? <View className="muted footnote">演示模式：浏览器中以演示账号登录</View> : null}
    </View>
  );
}

/** Sign in (WeCom / DingTalk / demo), then the company's lists. */
function useSession(platform: Platform) {
  const [config, setConfig] = useState<SidebarConfig | null>(null);
  const [me, setMe] = useState<Me | null>(null);
  const [users, setUsers] = useState<Me[]>([]);
  const [meta, setMeta] = useState<Meta | null>(null);
  const [fatal, setFatal] = useState('');
  useEffect(() => {
    void (async () => {
      try {
        const cfg = await api<SidebarConfig>('GET', '/api/sidebar/config');
        setConfig(cfg);
        if (platform === 'wecom' && cfg.wecom && !(await wecomLogin(cfg))) return;
        if ((platform === 'dingtalk' || platform === 'dd') && cfg.dingtalk) await dingtalkLogin(cfg);
        // Cold start is on the critical path: sign-in, then the profile and the company's lists in parallel.
        let who: Me | null = null;
        if (hasToken()) who = await api<Me>('GET', '/api/me').catch(() => null);
        if (!who) {
          if (!cfg.demo) {
            setFatal('请在企业微信或钉钉中打开侧边栏');
            return;
          }
          who = await devLogin({ role: 'rep' });
        }
        const [m, list] = await Promise.all([
          api<Meta>('GET', '/api/meta'),
          cfg.demo && platform === 'browser' ? api<{ items: Me[] }>('GET', '/api/auth/dev-users').catch(() => ({ items: [] as Me[] })) : null,
        ]);
        setMe(who);
        setMeta(m);
        if (list) setUsers(list.items);
      } catch (err) {
        setFatal((err as Error).message);
      }
    })();
  }, [platform]);
  return { config, me, setMe, users, meta, setMeta, fatal };
}

/** The phone field, its lookup and the lead the form writes to (the signed-in rep's own lead first). `onEdit`: the phone was edited. */
function usePhoneLookup(meId: number | undefined, onEdit: () => void) {
  const [phone, setPhone] = useState('');
  const [lookup, setLookup] = useState<Lookup | null>(null);
  const [phoneError, setPhoneError] = useState('');
  const [lead, setLead] = useState<FormLead | null>(null);

  /** A lookup's answer on screen; the form writes to `leadId` when given (opened from 我的待办), else the rep's own lead. */
  const applyLookup = useCallback(
    (r: Lookup, leadId?: number) => {
      setLookup(r);
      if (!r.valid) {
        setPhoneError(r.error ?? '手机号格式不正确');
        setLead(null);
        return r;
      }
      const c = r.customer;
      if (c && c.visible) {
        const mine = c.leads.find((l) => l.id === leadId) ?? c.leads.find((l) => l.ownerId === meId) ?? c.leads[0];
        setLead({ id: mine.id, customerName: c.name ?? r.masked, grade: c.grade, concerns: c.concerns, tags: c.tags, journeyNode: mine.journeyNode });
      } else {
        setLead(null);
      }
      return r;
    },
    [meId],
  );

  const doLookup = useCallback(
    async (p: string) => {
      setPhoneError('');
      return applyLookup(await api<Lookup>('GET', `/api/customers/lookup?phone=${encodeURIComponent(p)}`));
    },
    [applyLookup],
  );

  /** Opened for a lead (我的待办, an alarm): the customer by lead id, no phone typed; the number shown as the role may see it. */
  const openLead = useCallback(
    async (leadId: number) => {
      setPhoneError('');
      const r = applyLookup(await api<Lookup>('GET', `/api/customers/lookup?leadId=${leadId}`), leadId);
      setPhone(r.normalized);
      return r;
    },
    [applyLookup],
  );

  const onPhone = (v: string) => {
    const digits = v.replace(/[^\d+]/g, '');
    setPhone(digits);
    onEdit();
    if (digits.replace(/^\+?86/, '').length >= 11) void doLookup(digits).catch((e) => setPhoneError(e.message));
    else {
      setLookup(null);
      setLead(null);
      setPhoneError('');
    }
  };

  const phoneBlur = () => {
    if (phone && phone.length < 11) setPhoneError(`手机号应为11位数字，当前为${phone.length}位`);
  };
  return { phone, setPhone, lookup, setLookup, phoneError, lead, setLead, doLookup, openLead, onPhone, phoneBlur };
}

/** The deep link (?leadId=N&pick=ID) or, in WeCom, the chat's customer. */
async function openFromLinkOrChat(
  platform: Platform,
  config: SidebarConfig,
  on: {
    setPhone: (p: string) => void;
    doLookup: (p: string) => Promise<Lookup>;
    openLead: (leadId: number) => Promise<Lookup>;
    setPick: (p: ScriptPick | null) => void;
    setPrefill: (p: Prefill) => void;
    setNotice: (n: string) => void;
  },
): Promise<void> {
  const q = pageQuery();
  if (q.leadId) {
    try {
      await on.openLead(Number(q.leadId));
      if (q.pick) {
        const picks = await api<{ items: ScriptPick[] }>('GET', `/api/script-picks?leadId=${Number(q.leadId)}`).catch(() => null);
        const p = picks?.items.find((x) => String(x.id) === q.pick) ?? null;
        on.setPick(p);
        if (p) on.setPrefill({ action: '已发送资料', scriptId: p.scriptId, conclusion: '' });
      }
    } catch (err) {
      on.setNotice((err as Error).message);
    }
  } else if (platform === 'wecom' && config.wecom) {
    const chat = await phoneFromChat(config).catch(() => null);
    if (chat?.phone) {
      on.setPhone(chat.phone);
      await on.doLookup(chat.phone);
    } else if (chat) {
      on.setNotice(`${chat.name || '该客户'} 没有备注手机号，请输入`);
    }
  }
}

/** Back to the to-do list this form was opened from (it reloads when shown), or to a fresh one. */
function backToTodo(): void {
  if (Taro.getCurrentPages().length > 1) void Taro.navigateBack();
  else void Taro.redirectTo({ url: '/pages/todo/index' });
}

/** The to-do badge: how many leads need action now (GET /api/todo?limit=0), recounted after each save. */
function useTodoCount(meId: number | undefined): [number, () => void] {
  const [count, setCount] = useState(0);
  const recount = useCallback(() => {
    void api<{ total: number }>('GET', '/api/todo?limit=0').then(
      (r) => setCount(r.total),
      () => undefined,
    );
  }, []);
  useEffect(() => {
    if (meId) recount();
  }, [meId]);
  return [count, recount];
}

/** Follow-ups kept on this device: waiting for the network, or refused on a resend and waiting for the rep. */
function useDeviceOutbox(setNotice: (n: string) => void) {
  const [queue, setQueue] = useState<PendingFollowup[]>(waiting);
  const [kept, setKept] = useState<PendingFollowup[]>(refused);
  const refresh = useCallback(() => {
    setQueue(waiting());
    setKept(refused());
  }, []);
  useOutboxResend(refresh, setNotice);
  const retryNow = async () => {
    const r = await flush();
    refresh();
    setNotice(r.sent ? `已补发 ${r.sent} 条` : '仍然连接不上服务器，稍后自动重试');
  };
  return { queue, kept, refresh, retryNow };
}

/** Nothing lost: resend what is pending now, every 15 s and whenever the network comes back. */
function useOutboxResend(refresh: () => void, setNotice: (n: string) => void) {
  useEffect(() => {
    const run = async () => {
      if (!waiting().length) return;
      const r = await flush();
      refresh();
      if (r.sent) setNotice(`已补发 ${r.sent} 条暂存的跟进`);
      if (r.failed.length) setNotice(`${r.failed.length} 条暂存的跟进未能保存，内容仍在本机，请处理`);
    };
    const timer = setInterval(run, 15_000);
    if (typeof window !== 'undefined') window.addEventListener('online', run);
    void run();
    return () => {
      clearInterval(timer);
      if (typeof window !== 'undefined') window.removeEventListener('online', run);
    };
  }, []);
}

/**
 * The saved / queued confirmation sits at the top of the page, above the form the rep just filled: bring it into
 * view, or on a 375×740 phone the rep sees only the emptied form.
 */
/**
 * A valid number looked up: where it is from, and the customer's card, or the form to create them. After a change on the
 * card it is looked up again: by the number typed, or by lead when the number is masked for this viewer.
 */
function Found({ lookup, platform, role, reload }: { lookup: Lookup; platform: Platform; role: string; reload: (typed?: string) => void }) {
  return (
    <>
      <Attribution lookup={lookup} />
      <CustomerCard lookup={lookup} canSetCoOwner={role === 'supervisor' || role === 'admin'} onChanged={() => reload()} />
      {!lookup.customer ? <NewCustomer lookup={lookup} platform={platform} onCreated={() => reload(lookup.normalized)} /> : null}
    </>
  );
}

function showTop(): void {
  void Taro.pageScrollTo({ scrollTop: 0, duration: 0 });
}

/** The lead's last three follow-ups, for the "saved" note. */
async function recentTimeline(leadId: number): Promise<Interaction[]> {
  const list = await api<{ items: any[] }>('GET', `/api/leads/${leadId}/followups`).catch(() => ({ items: [] }));
  return (list.items ?? []).slice(0, 3).map((f) => ({
    followupId: f.id,
    at: f.createdAt,
    action: f.action,
    conclusion: f.conclusion,
    nextStepAt: f.nextStepAt,
    nextStepAction: f.nextStepAction,
    authorName: f.authorName ?? null,
  }));
}

function SavedNote({ summary, timeline, fromTodo, todoLeft }: { summary: string; timeline: Interaction[]; fromTodo: boolean; todoLeft: number }) {
  return (
    <View className="saved" id="saved">
      <View className="saved__title">✓ 已保存</View>
      <View>{summary}</View>
      {fromTodo ? (
        <Text className="link" id="back-to-todo" onClick={backToTodo}>
          ‹ 返回我的待办（还剩 {todoLeft} 条）
        </Text>
      ) : null}
      <Timeline items={timeline} title="更新后的时间线" />
    </View>
  );
}
