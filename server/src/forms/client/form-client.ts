/**
 * The lead form in the browser: the hosted page (/f/<code>) and the snippet for a company's own page (/f/<code>/embed.js)
 * both run this. The phone is checked with the product's own rule (shared/src/phone-rule.ts, bundled in) before
 * anything is sent; the server checks it again. Plain DOM, no framework: a landing page loads a few KB.
 */
import { parsePhone } from '../../../../shared/src/phone-rule';

interface FormConfig {
  endpoint: string;
  title: string;
  grades: string[];
  concerns: string[];
  target?: string;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function render(root: HTMLElement, cfg: FormConfig): void {
  root.innerHTML = `
<form class="llf" novalidate>
  <div class="llf__title">${esc(cfg.title)}</div>
  <label class="llf__field">手机号<input name="phone" type="tel" inputmode="tel" autocomplete="tel" placeholder="11位手机号" required></label>
  <div class="llf__error" data-for="phone"></div>
  <label class="llf__field">称呼<input name="name" autocomplete="name" maxlength="32" placeholder="如 王妈妈"></label>
  <label class="llf__field">孩子年级<select name="grade"><option value="">请选择</option>${cfg.grades.map((g) => `<option>${esc(g)}</option>`).join('')}</select></label>
  <label class="llf__field">所在城市<input name="city" maxlength="16" placeholder="如 苏州"></label>
  <div class="llf__field">关注点<div class="llf__chips">${cfg.concerns.map((c) => `<label><input type="checkbox" name="concerns" value="${esc(c)}">${esc(c)}</label>`).join('')}</div></div>
  <label class="llf__hp" aria-hidden="true">网址<input name="website" tabindex="-1" autocomplete="off"></label>
  <button type="submit" class="llf__submit">提交</button>
  <div class="llf__status" role="status"></div>
</form>`;
  const form = root.querySelector('form')!;
  const status = form.querySelector<HTMLElement>('.llf__status')!;
  const phoneError = form.querySelector<HTMLElement>('[data-for="phone"]')!;
  form.querySelector('input[name=phone]')!.addEventListener('input', () => (phoneError.textContent = ''));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const data = new FormData(form);
    const phone = parsePhone(String(data.get('phone') ?? ''));
    phoneError.textContent = phone.valid ? '' : (phone.error ?? '手机号格式不正确');
    if (!phone.valid) return;
    const campaign = new URLSearchParams(location.search).get('utm_campaign') ?? undefined;
    const body = {
      phone: phone.normalized,
      name: String(data.get('name') ?? '').trim() || undefined,
      grade: String(data.get('grade') ?? '') || undefined,
      city: String(data.get('city') ?? '').trim() || undefined,
      concerns: data.getAll('concerns').map(String),
      website: String(data.get('website') ?? ''),
      campaign,
    };
    const button = form.querySelector<HTMLButtonElement>('.llf__submit')!;
    button.disabled = true;
    status.textContent = '提交中…';
    fetch(cfg.endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      .then(async (res) => {
        const answer = await res.json().catch(() => null);
        if (!res.ok) throw new Error(answer?.error?.message ?? `提交失败（${res.status}），请稍后重试`);
        form.innerHTML = '<div class="llf__done">提交成功，老师会尽快与您联系。</div>';
      })
      .catch((err: Error) => {
        status.textContent = err.message || '网络不通，请稍后重试';
        button.disabled = false;
      });
  });
}

declare const LIFELINE_FORM: FormConfig;
const cfg = LIFELINE_FORM;
const mount = () => {
  const root = cfg.target ? document.querySelector<HTMLElement>(cfg.target) : document.getElementById('lifeline-form');
  if (root) render(root, cfg);
};
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', mount);
else mount();
