import { describe, expect, it } from 'vitest';
import { isValidMobile, maskPhone, normalizePhone, parsePhone, phoneSchema } from '../../shared/src/phone';

describe('normalizePhone', () => {
  it.each([
    '+86 138 0013 8000',
    '0086-138-0013-8000',
    '86 13800138000',
    '１３８００１３８０００',
    '＋８６　１３８－００１３－８０００',
    '138 0013 8000',
    '(+86)138-0013-8000',
    '（+86）138.0013.8000',
    '138\u00a00013\u30008000',
    '138—0013–8000',
    '8613800138000',
  ])('%s → 13800138000', (input) => {
    expect(normalizePhone(input)).toBe('13800138000');
    expect(isValidMobile(normalizePhone(input))).toBe(true);
  });

  it('only strips a country code when 11 digits remain', () => {
    expect(normalizePhone('8613800')).toBe('8613800');
    expect(normalizePhone('86138001380001')).toBe('86138001380001');
    expect(normalizePhone('+8613800')).toBe('+8613800');
  });
});

describe('parsePhone', () => {
  it('accepts a valid number', () => {
    expect(parsePhone(' 138-0013-8000 ')).toEqual({
      input: ' 138-0013-8000 ',
      normalized: '13800138000',
      valid: true,
      masked: '138****8000',
    });
  });

  it.each([
    ['1380013800', '手机号应为11位数字，当前为10位'],
    ['138001380001', '手机号应为11位数字，当前为12位'],
    ['12345678901', '手机号格式不正确，应以13-19开头'],
    ['10012345678', '手机号格式不正确，应以13-19开头'],
    ['abc', '手机号只能包含数字'],
    ['138-0013-800a', '手机号只能包含数字'],
    ['', '请输入手机号'],
    ['  \u3000', '请输入手机号'],
  ])('%j is invalid: %s', (input, error) => {
    const r = parsePhone(input);
    expect(r.valid).toBe(false);
    expect(r.error).toBe(error);
  });
});

describe('maskPhone', () => {
  it('masks the middle four of a mobile', () => expect(maskPhone('13800138000')).toBe('138****8000'));
  it('keeps only the last 4 otherwise', () => {
    expect(maskPhone('1380013800')).toBe('******3800');
    expect(maskPhone('123')).toBe('123');
    expect(maskPhone('')).toBe('');
  });
});

describe('phoneSchema', () => {
  it('outputs the normalised number', () => {
    expect(phoneSchema.parse('+86 138 0013 8000')).toBe('13800138000');
  });

  it('fails with the Chinese message', () => {
    const r = phoneSchema.safeParse('1380013800');
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.message)).toEqual(['手机号应为11位数字，当前为10位']);
  });

  it('rejects a missing value', () => {
    const r = phoneSchema.safeParse(undefined);
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toBe('请输入手机号');
  });
});
