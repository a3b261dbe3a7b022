import { ROLE_LABELS, type Role } from '@lifeline/shared';
import type { User } from '../users/user.entity';
import type { Alarm, AlarmMessage } from '../alarms/alarm.entities';

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const time = (t: number | null) => (t ? new Date(t + 8 * 3600_000).toISOString().slice(5, 16).replace('T', ' ') : '');
const STATE: Record<string, string> = {
  pending: '待发送',
  sent: '已送达',
  acted: '已操作',
  failed: '发送失败',
  merged: '已并入汇总',
  cancelled: '已撤回（线索已处理）',
};

export interface ConsoleView {
  users: User[];
  userId: number;
  msgs: AlarmMessage[];
  alarms: Map<number, Alarm>;
  counts: Map<number, number>;
  now: number;
}

function card(m: AlarmMessage, a: Alarm, v: ConsoleView, names: Map<number, string>): string {
  const isRep = m.payload?.role === 'rep';
  const handled = a.handledAt ? `<div class="handled">✔ ${esc(names.get(a.handledBy!) ?? '')}已处理 ${time(a.handledAt)}（${esc(a.handledHow)}）</div>` : '';
  const buttons =
    a.handledAt && m.state !== 'pending'
      ? ''
      : (isRep ? [...a.scripts.map((s) => [`s${s.scriptId}`, s.title]), ['done', '已跟进']] : [['ack', '已知悉']])
          .map(
            ([k, t]) =>
              `<form method="post" action="/console/tap"><input type="hidden" name="m" value="${m.id}"><input type="hidden" name="k" value="${esc(k)}"><button>${esc(t)}</button></form>`,
          )
          .join('');
  const scripts = isRep ? `<ol class="scripts">${a.scripts.map((s) => `<li><b>${esc(s.title)}</b> ${esc(s.text)}</li>`).join('')}</ol>` : '';
  return `<div class="card ${m.state}"><div class="title">${esc(a.card.leadName)} · ${esc(a.card.ruleLabel)}</div>
<div class="meta">电话 ${esc(a.card.maskedPhone)} · 渠道 ${esc(a.card.channel)} · 线索时长 ${esc(a.card.age)}${a.card.repName ? ` · 负责人 ${esc(a.card.repName)}` : ''}${a.card.nextStepAction ? ` · 约定 ${esc(a.card.nextStepAction)}` : ''}</div>
${scripts}${handled}<div class="buttons">${buttons}</div><div class="state">${STATE[m.state] ?? m.state}${m.state === 'pending' ? `（${time(m.nextAttemptAt)} 发送，免打扰时段顺延）` : ` ${time(m.sentAt)}`}</div></div>`;
}

export function renderConsole(v: ConsoleView): string {
  const names = new Map(v.users.map((u) => [u.id, u.name]));
  const tabs = v.users
    .map(
      (u) =>
        `<a class="${u.id === v.userId ? 'on' : ''}" href="/console/?user=${u.id}">${esc(u.name)}<small>${esc(ROLE_LABELS[u.role as Role] ?? u.role)}</small>${v.counts.get(u.id) ? ` <i>${v.counts.get(u.id)}</i>` : ''}</a>`,
    )
    .join('');
  const body =
    v.msgs
      .filter((m) => m.kind !== 'update')
      .map((m) => {
        if (m.kind === 'card') {
          const a = v.alarms.get(m.alarmId!);
          return a ? card(m, a, v, names) : '';
        }
        if (m.kind === 'digest')
          return `<div class="card digest"><div class="title">${esc(m.payload.title)}</div><ul>${(m.payload.lines as string[]).map((l) => `<li>${esc(l)}</li>`).join('')}</ul>${Array.isArray(m.payload.leadIds) && m.payload.leadIds.length ? `<div class="buttons"><a class="todo-link" href="/sidebar/#/pages/todo/index?leadIds=${(m.payload.leadIds as number[]).slice(0, 100).join(',')}">在「我的待办」中处理</a></div>` : ''}<div class="state">${STATE[m.state]} ${time(m.sentAt)}</div></div>`;
        return `<div class="card script"><div class="title">话术已就绪：${esc(m.payload.leadName)}</div><pre>${esc(m.payload.text)}</pre><a href="${esc(m.payload.link)}">在侧边栏打开</a></div>`;
      })
      .join('') || '<p class="empty">暂无消息。提醒在到期后几秒内出现在这里。</p>';
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="refresh" content="10"><title>Lifeline 提醒控制台</title><style>
body{font-family:system-ui,"PingFang SC",sans-serif;margin:0;background:#f3f4f6;color:#111}header{background:#0f766e;color:#fff;padding:10px 16px}
nav{display:flex;flex-wrap:wrap;gap:6px;padding:8px 16px;background:#fff;border-bottom:1px solid #ddd}nav a{padding:4px 8px;border-radius:6px;text-decoration:none;color:#111;border:1px solid #ddd}
nav a.on{background:#0f766e;color:#fff}nav small{opacity:.6;margin-left:3px}nav i{background:#dc2626;color:#fff;border-radius:8px;padding:0 5px;font-style:normal}
main{max-width:720px;margin:12px auto;padding:0 12px}.card{background:#fff;border-radius:8px;padding:12px;margin-bottom:10px;box-shadow:0 1px 2px #0002}
.title{font-weight:600}.meta,.state{color:#555;font-size:13px;margin-top:4px}.buttons{display:flex;gap:6px;flex-wrap:wrap;margin-top:8px}form{margin:0}
button{padding:8px 12px;border:1px solid #0f766e;background:#ecfdf5;border-radius:6px;font-size:15px}.handled{color:#15803d;margin-top:6px}
.scripts{font-size:14px;padding-left:20px}pre{white-space:pre-wrap;background:#f9fafb;padding:8px}.merged{opacity:.5}.failed{border-left:4px solid #dc2626}
</style></head><body><header>Lifeline 提醒控制台（本地通道：未配置企业微信/钉钉时的消息都在这里）</header><nav>${tabs}</nav><main>${body}</main></body></html>`;
}

export function renderTapResult(pick: { id: number; text: string; link: string } | null): string {
  return tapPage(
    pick
      ? `<h3>话术已就绪</h3><pre>${esc(pick.text)}</pre><p><a href="${esc(pick.link)}">在侧边栏打开，发送给客户</a></p>`
      : '<h3>已记录</h3><p>这条提醒已标记处理。</p>',
  );
}

/** A tap link that was refused (expired, forged, not theirs any more): why, and that nothing was recorded. */
export function renderTapRefused(message: string): string {
  return tapPage(`<h3>未记录</h3><p>${esc(message)}</p><p>这次点击没有做任何记录。</p>`);
}

function tapPage(inner: string): string {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Lifeline</title>
<style>body{font-family:system-ui,"PingFang SC",sans-serif;max-width:560px;margin:20px auto;padding:0 12px}pre{white-space:pre-wrap;background:#f3f4f6;padding:10px}</style></head><body>${inner}</body></html>`;
}
