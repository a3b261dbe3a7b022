import { CONCERNS, GRADES } from '../vocabulary';
import { parsePhone } from '../phone';
import { invisibleCharMessage } from '../schemas/text';

/** A lead as it comes out of a payload or a spreadsheet row, before validation. */
export interface RawLeadFields {
  phone?: unknown;
  name?: unknown;
  city?: unknown;
  province?: unknown;
  /** "江苏省苏州市", "江苏 苏州", "江苏-苏州": split into province + city. */
  region?: unknown;
  grade?: unknown;
  concerns?: unknown;
  tags?: unknown;
  channel?: unknown;
  campaign?: unknown;
  externalId?: unknown;
}

interface NormalisedLead {
  phone: string;
  name?: string;
  city?: string;
  province?: string;
  grade?: string;
  concerns?: string[];
  tags?: string[];
  channel?: string;
  campaign?: string;
  externalId?: string;
}

export type NormaliseResult = { ok: true; lead: NormalisedLead; warnings: string[] } | { ok: false; reason: string };

const GRADE_ALIASES: Record<string, string> = {
  一年级: '小一',
  二年级: '小二',
  三年级: '小三',
  四年级: '小四',
  五年级: '小五',
  六年级: '小六',
  七年级: '初一',
  八年级: '初二',
  九年级: '初三',
  初1: '初一',
  初2: '初二',
  初3: '初三',
  高1: '高一',
  高2: '高二',
  高3: '高三',
  小1: '小一',
  小2: '小二',
  小3: '小三',
  小4: '小四',
  小5: '小五',
  小6: '小六',
  初中一年级: '初一',
  初中二年级: '初二',
  初中三年级: '初三',
  高中一年级: '高一',
  高中二年级: '高二',
  高中三年级: '高三',
};

function text(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  const s = (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '').trim();
  return s ? s : undefined;
}

function gradeOf(v: unknown): string | undefined {
  const s = text(v)?.replace(/\s+/g, '');
  if (!s) return undefined;
  if ((GRADES as readonly string[]).includes(s)) return s;
  return GRADE_ALIASES[s];
}

function listOf(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(text).filter((x): x is string => !!x);
  const s = text(v);
  return s
    ? s
        .split(/[,，、;；|/\s]+/)
        .map((x) => x.trim())
        .filter(Boolean)
    : [];
}

const PROVINCE_SUFFIX = /(省|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区|市)$/;
const MUNICIPALITIES = ['北京', '上海', '天津', '重庆'];

/** "江苏省苏州市" → {province:江苏, city:苏州}; "上海市" → both 上海; "苏州" → city only. */
export function splitRegion(v: unknown): { province?: string; city?: string } {
  const s = text(v)?.replace(/\s+/g, ' ');
  if (!s) return {};
  const parts = s.split(/[\s\-|/,，·]+/).filter(Boolean);
  if (parts.length >= 2) {
    return { province: parts[0].replace(PROVINCE_SUFFIX, ''), city: parts[1].replace(/市$/, '') };
  }
  const one = parts[0];
  const m = /^(.+?(?:省|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区))(.+)$/.exec(one);
  if (m) return { province: m[1].replace(PROVINCE_SUFFIX, ''), city: m[2].replace(/市$/, '') };
  const bare = one.replace(/市$/, '');
  if (MUNICIPALITIES.includes(bare)) return { province: bare, city: bare };
  return { city: bare };
}

/**
 * Phones exported by Excel as numbers: an exact integer is fine (13915441234); a value in scientific
 * notation (1.39154E+10) has lost digits and is never guessed back.
 */
export function phoneOf(v: unknown): { phone: string } | { error: string } {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) return { error: `手机号「${v}」不是整数，请检查该单元格` };
    v = String(v);
  }
  const s = text(v);
  if (!s) return { error: '缺少手机号' };
  if (/^\d(\.\d+)?e\+?\d+$/i.test(s.replace(/\s/g, ''))) {
    return { error: `手机号「${s}」被 Excel 存成了科学计数法，位数已丢失无法还原；请把手机号列设为“文本”后重新导出` };
  }
  const p = parsePhone(s);
  return p.valid ? { phone: p.normalized } : { error: `手机号「${s}」无效：${p.error}` };
}

/** Chinese names of the lead fields (error messages, the channel mapping editor). */
export const RAW_LABELS: Record<keyof RawLeadFields, string> = {
  phone: '手机号',
  name: '称呼',
  city: '城市',
  province: '省份',
  region: '地区',
  grade: '年级',
  concerns: '关注点',
  tags: '标签',
  channel: '渠道',
  campaign: '活动',
  externalId: '平台线索ID',
};

/**
 * The first field holding a character nobody typed (NUL, a bidi override, half an emoji…), said in Chinese.
 * Line breaks and tabs are whitespace here (spreadsheet cells, lists); the lead schema refuses them where they
 * cannot belong.
 */
function invisibleInRaw(raw: RawLeadFields): string | null {
  for (const [field, v] of Object.entries(raw) as [keyof RawLeadFields, unknown][]) {
    for (const s of Array.isArray(v) ? v : [v]) {
      const message = typeof s === 'string' ? invisibleCharMessage(RAW_LABELS[field] ?? field, s, { multiline: true }) : null;
      if (message) return message;
    }
  }
  return null;
}

/**
 * Zero-width characters that change nothing a person sees or means: U+200B zero-width space, U+2060 word joiner,
 * U+FEFF zero-width no-break space (a stray BOM). Machine-sent leads (Douyin, landing pages, spreadsheets) carry them
 * from copy-and-paste; refusing such a lead loses a paid lead over nothing, so they are removed there.
 */
const HARMLESS_ZERO_WIDTH = /[\u200B\u2060\uFEFF]/g;

/**
 * A machine-sent lead's text with the harmless zero-width characters removed (strings and lists of strings; anything
 * else untouched). Bidi controls, NUL and other controls, and lone surrogates stay, and are refused after.
 * Text typed by a person (the request schemas in schemas/) is not cleaned: it keeps the strict refusal.
 */
function stripZeroWidth(raw: RawLeadFields): RawLeadFields {
  const clean = (v: unknown) => (typeof v === 'string' ? v.replace(HARMLESS_ZERO_WIDTH, '') : v);
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Array.isArray(v) ? v.map(clean) : clean(v)])) as RawLeadFields;
}

/**
 * Phone checked; grade/concerns/region turned into the vocabulary; unknown values dropped with a warning.
 * Harmless zero-width characters are removed first (stripZeroWidth); any other invisible/control character
 * refuses the whole lead (it is never stored, nor quoted in a warning).
 */
export function normaliseLead(input: RawLeadFields): NormaliseResult {
  const raw = stripZeroWidth(input);
  const invisible = invisibleInRaw(raw);
  if (invisible) return { ok: false, reason: invisible };
  const phone = phoneOf(raw.phone);
  if ('error' in phone) return { ok: false, reason: phone.error };
  const warnings: string[] = [];
  const lead: NormalisedLead = { phone: phone.phone };
  const name = text(raw.name);
  if (name) lead.name = name;
  const region = splitRegion(raw.region);
  const province = text(raw.province)?.replace(PROVINCE_SUFFIX, '') ?? region.province;
  const city = text(raw.city)?.replace(/市$/, '') ?? region.city;
  if (province) lead.province = province;
  if (city) lead.city = city;
  const gradeText = text(raw.grade);
  if (gradeText) {
    const g = gradeOf(gradeText);
    if (g) lead.grade = g;
    else warnings.push(`年级「${gradeText}」无法识别，已忽略`);
  }
  const concerns = listOf(raw.concerns);
  if (concerns.length) {
    const known = concerns.filter((c) => (CONCERNS as readonly string[]).includes(c));
    const unknown = concerns.filter((c) => !known.includes(c));
    if (known.length) lead.concerns = [...new Set(known)];
    if (unknown.length) warnings.push(`关注点「${unknown.join('、')}」不在 ${CONCERNS.join('、')} 之中，已忽略`);
  }
  const tags = listOf(raw.tags);
  if (tags.length) lead.tags = [...new Set(tags)];
  const channel = text(raw.channel);
  if (channel) lead.channel = channel;
  const campaign = text(raw.campaign);
  if (campaign) lead.campaign = campaign;
  const externalId = text(raw.externalId);
  if (externalId) lead.externalId = externalId;
  return { ok: true, lead, warnings };
}
