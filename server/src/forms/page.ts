import { CONCERNS, GRADES } from '@lifeline/shared';
import { formClientScript } from './client-bundle';

export interface FormView {
  code: string;
  title: string;
  /** Absolute URL the browser posts to. */
  endpoint: string;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** JSON safe inside a <script> element. */
const inline = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

const STYLE = `
.llf{font:16px/1.5 -apple-system,"PingFang SC","Microsoft YaHei",sans-serif;color:#222;max-width:480px;margin:0 auto;padding:16px}
.llf__title{font-size:20px;font-weight:600;margin-bottom:12px}
.llf__field{display:block;margin:10px 0;font-size:14px;color:#555}
.llf__field input:not([type=checkbox]),.llf__field select{display:block;width:100%;box-sizing:border-box;margin-top:4px;padding:10px;font-size:16px;border:1px solid #ccc;border-radius:6px;background:#fff}
.llf__chips{display:flex;flex-wrap:wrap;gap:8px;margin-top:6px}.llf__chips label{border:1px solid #ddd;border-radius:16px;padding:4px 10px;color:#333}
.llf__hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}
.llf__error,.llf__status{color:#d54941;font-size:13px;min-height:1em}
.llf__submit{width:100%;margin-top:12px;padding:12px;font-size:17px;color:#fff;background:#e34d59;border:0;border-radius:22px}
.llf__submit:disabled{opacity:.6}.llf__done{padding:40px 0;text-align:center;font-size:18px;color:#2ba471}`;

function config(v: FormView, target?: string) {
  return { endpoint: v.endpoint, title: v.title, grades: [...GRADES], concerns: [...CONCERNS], ...(target ? { target } : {}) };
}

/** The hosted mobile page behind /f/<code> (公众号 articles, landing pages, 展会 QR codes). */
export function hostedPage(v: FormView): string {
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(v.title)}</title><style>body{margin:0;background:#f7f8fa}${STYLE}</style></head>
<body><div id="lifeline-form"></div><noscript>请开启浏览器的 JavaScript 后填写。</noscript>
<script>var LIFELINE_FORM=${inline(config(v))};</script><script>${formClientScript()}</script></body></html>`;
}

/**
 * The snippet for a company's own page: `<div id="lifeline-form"></div><script src=".../f/<code>/embed.js"></script>`
 * (or `data-target="#my-div"` on the script tag). It brings its own styles, scoped to `.llf`.
 */
export function embedScript(v: FormView): string {
  const target = `(document.currentScript&&document.currentScript.getAttribute('data-target'))||undefined`;
  return `(function(){var s=document.createElement('style');s.textContent=${inline(STYLE)};document.head.appendChild(s);
var LIFELINE_FORM=${inline(config(v))};LIFELINE_FORM.target=${target};
${formClientScript()}})();`;
}
