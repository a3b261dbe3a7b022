import { describe, expect, it } from 'vitest';
import * as shared from '@lifeline/shared';
import * as intake from '@lifeline/shared/src/intake';
import * as routing from '@lifeline/shared/src/routing';
import * as integrations from '@lifeline/shared/src/integrations';
import { findInvisible, followupCreateSchema, leadCreateSchema, phoneSchema, plainText, scriptCreateSchema } from '@lifeline/shared';
import { normaliseLead } from '@lifeline/shared/src/intake';
import { exportedSchemas, uncheckedStringFields } from '../support/text-guard';

const NUL = '\u0000';
const RLO = '\u202E';
const LONE = '\ud83d'; // the first half of 😀 without its second half

describe('text is text: the shared rule', () => {
  const name = plainText('称呼', 32);

  it('refuses NUL, bidi overrides/isolates and lone surrogates with a Chinese message naming the field and the character', () => {
    const cases: [string, string][] = [
      [`王${NUL}妈妈`, '称呼含有不可见的控制字符（第2个字符，U+0000 空字符 NUL），请删除后重试'],
      [`王妈妈${RLO}3211`, '称呼含有不可见的控制字符（第4个字符，U+202E 从右向左覆盖），请删除后重试'],
      [`\u2066王妈妈\u2069`, '称呼含有不可见的控制字符（第1个字符，U+2066 从左向右隔离），请删除后重试'],
      [`王妈妈${LONE}`, '称呼含有不可见的控制字符（第4个字符，U+D83D 不成对的代理项（半个表情符号）），请删除后重试'],
      ['王\u200B妈妈', '称呼含有不可见的控制字符（第2个字符，U+200B 零宽空格），请删除后重试'],
      ['王\u0085妈妈', '称呼含有不可见的控制字符（第2个字符，U+0085），请删除后重试'],
      ['王\u007F妈妈', '称呼含有不可见的控制字符（第2个字符，U+007F），请删除后重试'],
      ['王\n妈妈', '称呼含有不可见的控制字符（第2个字符，U+000A 换行），请删除后重试'],
    ];
    for (const [input, message] of cases) {
      const r = name.safeParse(input);
      expect(r.success, JSON.stringify(input)).toBe(false);
      expect(r.error!.issues[0].message).toBe(message);
    }
    for (const cp of [0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069]) {
      expect(name.safeParse(`a${String.fromCodePoint(cp)}b`).success).toBe(false);
    }
    for (let cp = 0; cp < 0x20; cp++) expect(name.safeParse(`a${String.fromCodePoint(cp)}b`).success).toBe(false);
  });

  it('accepts what people type: Chinese, full-width punctuation, emoji (also joined ones), accents', () => {
    for (const s of ['王妈妈', '王妈妈（初三）', '李 先生', '😀王妈妈', '👩‍👧 家长', 'Zoë', '苏州·园区', '«张»']) {
      expect(name.safeParse(s).success, s).toBe(true);
    }
    expect(findInvisible('😀👩‍👧')).toBeNull();
  });

  it('multi-line fields accept line breaks and tabs but nothing else invisible', () => {
    const conclusion = (c: string) => followupCreateSchema.safeParse({ leadId: 1, action: '已电话沟通', conclusion: c });
    expect(conclusion('家长在意价格\n下周再约').success).toBe(true);
    expect(conclusion('家长在意价格\r\n\t下周再约').success).toBe(true);
    const bad = conclusion(`家长在意价格${RLO}`);
    expect(bad.error!.issues[0].message).toBe('关键结论含有不可见的控制字符（第7个字符，U+202E 从右向左覆盖），请删除后重试');
    expect(scriptCreateSchema.safeParse({ category: '开场', title: '问候', text: `您好{称呼}\n${NUL}` }).error!.issues[0].message).toContain(
      '话术内容含有不可见的控制字符',
    );
  });

  it('length still counts characters as people do, after the text rule', () => {
    expect(name.safeParse('王'.repeat(32)).success).toBe(true);
    expect(name.safeParse('王'.repeat(33)).error!.issues[0].message).toBe('称呼最多32个字');
    expect(name.safeParse('😀'.repeat(32)).success).toBe(true);
  });

  it('a lead from an intake payload or a spreadsheet row with such text is refused, not cleaned up silently', () => {
    expect(normaliseLead({ phone: '13915441234', name: `王${RLO}妈妈` })).toEqual({
      ok: false,
      reason: '称呼含有不可见的控制字符（第2个字符，U+202E 从右向左覆盖），请删除后重试',
    });
    expect(normaliseLead({ phone: '13915441234', grade: `初三${NUL}` })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('年级含有不可见的控制字符'),
    });
    expect(normaliseLead({ phone: '13915441234', tags: ['a', `b${LONE}`] })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('标签含有不可见的控制字符'),
    });
    expect(normaliseLead({ phone: '13915441234', externalId: `x${NUL}` })).toMatchObject({ ok: false, reason: expect.stringContaining('平台线索ID') });
    // a spreadsheet cell with a line break is whitespace, as before
    expect(normaliseLead({ phone: '13915441234', region: '江苏\n苏州' })).toMatchObject({ ok: true, lead: { province: '江苏', city: '苏州' } });
    expect(leadCreateSchema.safeParse({ phone: '13915441234', channel: `抖音${RLO}` }).error!.issues[0].message).toBe(
      '渠道标签含有不可见的控制字符（第3个字符，U+202E 从右向左覆盖），请删除后重试',
    );
  });

  it('a machine-sent lead loses pasted zero-width characters (U+200B, U+2060, U+FEFF) instead of being refused; typed input is still refused', () => {
    expect(
      normaliseLead({
        phone: '\uFEFF139 1544 1234\u200B',
        name: '王\u200B妈妈\u2060',
        city: '\uFEFF苏州',
        tags: ['择\u200B校', '\u2060'],
        externalId: 'dy\u200B-1',
      }),
    ).toEqual({ ok: true, warnings: [], lead: { phone: '13915441234', name: '王妈妈', city: '苏州', tags: ['择校'], externalId: 'dy-1' } });
    // ZWJ/ZWNJ keep emoji sequences together and stay as they are.
    expect(normaliseLead({ phone: '13915441234', name: '王妈妈👩\u200D👧' })).toMatchObject({ ok: true, lead: { name: '王妈妈👩\u200D👧' } });
    // Everything else invisible is still refused, also next to a stripped zero-width character (positions counted after it).
    expect(normaliseLead({ phone: '13915441234', name: `\u200B王${RLO}妈妈` })).toEqual({
      ok: false,
      reason: '称呼含有不可见的控制字符（第2个字符，U+202E 从右向左覆盖），请删除后重试',
    });
    expect(normaliseLead({ phone: '13915441234', name: `王\u200B${NUL}` })).toMatchObject({ ok: false, reason: expect.stringContaining('U+0000') });
    expect(normaliseLead({ phone: '13915441234', name: `王\u2066妈妈\u2069` })).toMatchObject({ ok: false, reason: expect.stringContaining('U+2066') });
    expect(normaliseLead({ phone: '13915441234', tags: [`b${LONE}\u200B`] })).toMatchObject({ ok: false, reason: expect.stringContaining('不成对的代理项') });
    // A person typing the same name into a form is told about the character.
    expect(leadCreateSchema.safeParse({ phone: '13915441234', channel: '抖音', name: '王\u200B妈妈' }).error!.issues[0].message).toBe(
      '称呼含有不可见的控制字符（第2个字符，U+200B 零宽空格），请删除后重试',
    );
  });
});

describe('guard: every string field of every shared request schema goes through the text rule', () => {
  const modules = {
    '@lifeline/shared': shared,
    '@lifeline/shared/src/intake': intake,
    '@lifeline/shared/src/routing': routing,
    '@lifeline/shared/src/integrations': integrations,
  };
  // The phone is normalised to its 11 digits before anything is stored; anything else in it fails validation.
  const skip = [phoneSchema];

  for (const [modName, mod] of Object.entries(modules)) {
    it(`${modName}: no string field without the rule (a new field must use plainText / textCheck)`, () => {
      const schemas = exportedSchemas(mod as Record<string, unknown>);
      expect(schemas.length).toBeGreaterThan(0);
      const unchecked = schemas.flatMap(([name, s]) => uncheckedStringFields(s, '', skip).map((p) => `${name}.${p}`));
      expect(unchecked).toEqual([]);
    });
  }

  it('the guard itself notices a plain z.string() field, nested or in an array', async () => {
    const { z } = await import('zod');
    const s = z.object({ a: plainText('甲', 5), b: z.object({ c: z.string().max(3) }), d: z.array(z.string()).optional() });
    expect(uncheckedStringFields(s)).toEqual(['b.c', 'd.[]']);
  });
});

describe('maxChars (the older helper) applies the text rule too', () => {
  it('refuses invisible characters with the label taken from its message, and keeps its length message', async () => {
    const { maxChars } = await import('@lifeline/shared');
    const s = maxChars(4, '备注最多4个字');
    expect(s.safeParse(`a${RLO}`).error!.issues[0].message).toBe('备注含有不可见的控制字符（第2个字符，U+202E 从右向左覆盖），请删除后重试');
    expect(s.safeParse('一二三四五').error!.issues[0].message).toBe('备注最多4个字');
  });
});
