import { describe, expect, it } from 'vitest';
import { applyMapping, getPath, headerFields, normaliseLead, parsePath, phoneOf, splitRegion } from '@lifeline/shared/src/intake';

describe('JSON paths for channel field mapping', () => {
  const payload = { data: { contact: { 手机: '13900001111' }, fields: [{ value: '初三' }] }, 'a.b': 1 };
  it('reads dotted, indexed and quoted paths', () => {
    expect(getPath(payload, '$.data.contact.手机')).toBe('13900001111');
    expect(getPath(payload, '$.data.contact["手机"]')).toBe('13900001111');
    expect(getPath(payload, '$.data.fields[0].value')).toBe('初三');
    expect(getPath(payload, 'data.fields.0.value')).toBe('初三');
    expect(getPath(payload, '$.data.missing.deep')).toBeUndefined();
  });
  it('rejects malformed paths', () => {
    expect(parsePath('$..[')).toBeNull();
    expect(parsePath('')).toBeNull();
  });
  it('maps a payload to lead fields, dropping empty values', () => {
    expect(applyMapping(payload, { phone: '$.data.contact.手机', grade: '$.data.fields[0].value', city: '$.nope' })).toEqual({
      phone: '13900001111',
      grade: '初三',
    });
  });
});

describe('row normalisation', () => {
  it('phones: formats normalised; Excel numbers kept when exact; scientific notation flagged, not guessed', () => {
    expect(phoneOf('+86 139-1544-1234')).toEqual({ phone: '13915441234' });
    expect(phoneOf(13915441234)).toEqual({ phone: '13915441234' });
    expect(phoneOf('1.39154E+10')).toEqual({ error: expect.stringContaining('科学计数法') });
    expect(phoneOf('1.39154e10')).toEqual({ error: expect.stringContaining('科学计数法') });
    expect(phoneOf(1.5)).toEqual({ error: expect.stringContaining('不是整数') });
    expect(phoneOf('')).toEqual({ error: '缺少手机号' });
    expect(phoneOf('1391544')).toEqual({ error: expect.stringContaining('当前为7位') });
  });
  it('province + city split', () => {
    expect(splitRegion('江苏省苏州市')).toEqual({ province: '江苏', city: '苏州' });
    expect(splitRegion('江苏 南京')).toEqual({ province: '江苏', city: '南京' });
    expect(splitRegion('广西壮族自治区南宁市')).toEqual({ province: '广西', city: '南宁' });
    expect(splitRegion('上海市')).toEqual({ province: '上海', city: '上海' });
    expect(splitRegion('苏州')).toEqual({ city: '苏州' });
  });
  it('grade aliases and concern lists map to the vocabulary; unknown values are dropped with a warning', () => {
    const r = normaliseLead({ phone: '13915441234', grade: '九年级', concerns: '升学政策、游泳,学科提分', region: '江苏省苏州市' });
    expect(r).toEqual({
      ok: true,
      lead: { phone: '13915441234', grade: '初三', concerns: ['升学政策', '学科提分'], province: '江苏', city: '苏州' },
      warnings: ['关注点「游泳」不在 升学政策、学科提分、学习方法、心理辅导 之中，已忽略'],
    });
    expect(normaliseLead({ phone: '13915441234', grade: '大一' })).toMatchObject({ ok: true, warnings: ['年级「大一」无法识别，已忽略'] });
    expect(normaliseLead({ name: '无号码' })).toEqual({ ok: false, reason: '缺少手机号' });
  });
  it('spreadsheet headers people use are recognised', () => {
    const m = headerFields(['手机号码', '家长称呼', '所在地区', '孩子年级', '备注']);
    expect([...m.entries()]).toEqual([
      [0, 'phone'],
      [1, 'name'],
      [2, 'region'],
      [3, 'grade'],
    ]);
  });
});
