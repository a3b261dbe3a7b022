import { describe, expect, it } from 'vitest';
import { SAMPLE_PREFIXES, getAttribution, loadBundledAttribution } from '../../server/src/customers/attribution';
import { fallbackCarrier } from '../../server/src/customers/carrier-blocks';
import { shortCity, shortProvince } from '../../server/src/customers/region-names';

const attribution = loadBundledAttribution();
const at = (prefix7: string) => attribution.lookup(`${prefix7}5678`);

/** First prefix in the table whose city matches, found by scanning (not hard-coded). */
function findPrefix(city: string): string | undefined {
  for (let n = 1_300_000; n < 2_000_000; n++) if (at(String(n)).city === city) return String(n);
  return undefined;
}

describe('bundled attribution', () => {
  it.each([
    ['1380013', '北京', '北京', '中国移动'],
    ['1391234', '江苏', '常州', '中国移动'],
    ['1862128', '上海', '上海', '中国联通'],
    ['1852079', '广东', '广州', '中国联通'],
  ])('%s → %s %s %s', (prefix, province, city, carrier) => {
    expect(at(prefix)).toEqual({ province, city, carrier, label: '号段归属地，仅供参考' });
  });

  it('finds Nanjing and Suzhou prefixes by scanning', () => {
    const nanjing = findPrefix('南京');
    const suzhou = findPrefix('苏州');
    expect(nanjing).toBeDefined();
    expect(suzhou).toBeDefined();
    expect(at(nanjing!).province).toBe('江苏');
    expect(at(suzhou!).province).toBe('江苏');
  });

  it('fills city 南京 for a Nanjing number', () => {
    expect(attribution.lookup('13814541234')).toMatchObject({ province: '江苏', city: '南京' });
  });

  it.each(Object.entries(SAMPLE_PREFIXES))('SAMPLE_PREFIXES[%s] all resolve to that city', (city, prefixes) => {
    expect(prefixes.length).toBeGreaterThanOrEqual(10);
    for (const p of prefixes) {
      expect(p).toMatch(/^1[3-9]\d{5}$/);
      expect(at(p).city).toBe(city);
    }
  });

  it('falls back to the block carrier when the 7-digit data has no entry', () => {
    expect(attribution.lookup('19212345678')).toEqual({ province: null, city: null, carrier: '中国广电', label: '号段归属地，仅供参考' });
    expect(attribution.lookup('19912345678')).toMatchObject({ province: null, city: null, carrier: '中国电信' });
    expect(attribution.lookup('16612345678')).toMatchObject({ city: null, carrier: '中国联通' });
    expect(attribution.lookup('19812345678')).toMatchObject({ city: null, carrier: '中国移动' });
  });

  it('returns all nulls for an unknown block', () => {
    expect(attribution.lookup('14012345678')).toEqual({ province: null, city: null, carrier: null, label: '号段归属地，仅供参考' });
    expect(attribution.lookup('abc')).toMatchObject({ province: null, carrier: null });
  });

  it('does not trust the old data for 1349 (satellite, not 中国移动)', () => {
    expect(attribution.lookup('13490001234')).toMatchObject({ province: null, city: null, carrier: null });
    expect(attribution.lookup('13480001234').carrier).toBe('中国移动');
  });

  it('labels MVNO numbers as 虚拟运营商', () => {
    expect(at('1705123').carrier).toBe('虚拟运营商'); // data says 阿里通信
    expect(at('1700123').carrier).toBe('虚拟运营商');
  });

  it('returns shared frozen records', () => {
    const a = attribution.lookup('13800138000');
    expect(Object.isFrozen(a)).toBe(true);
    expect(attribution.lookup('13800131111')).toBe(a);
  });

  it('covers the data set', () => {
    // 317,822 rows in the package, minus 1,000 dropped 1349xxx rows.
    expect(attribution.knownPrefixes).toBe(316_822);
  });

  it('getAttribution loads once', () => {
    expect(getAttribution()).toBe(getAttribution());
  });
});

describe('carrier blocks and names', () => {
  it('maps blocks', () => {
    expect(fallbackCarrier('1921234')).toBe('中国广电');
    expect(fallbackCarrier('1731234')).toBe('中国电信');
    expect(fallbackCarrier('1671234')).toBe('虚拟运营商');
    expect(fallbackCarrier('1349123')).toBeNull();
    expect(fallbackCarrier('1740000')).toBeNull();
  });

  it('shortens names consistently', () => {
    expect(shortProvince('江苏省')).toBe('江苏');
    expect(shortProvince('广西壮族自治区')).toBe('广西');
    expect(shortProvince('新疆维吾尔自治区')).toBe('新疆');
    expect(shortProvince('上海市')).toBe('上海');
    expect(shortCity('南京市')).toBe('南京');
    expect(shortCity('红河哈尼族彝族自治州')).toBe('红河');
    expect(shortCity('伊犁哈萨克自治州')).toBe('伊犁');
    expect(shortCity('哈密地区')).toBe('哈密');
    expect(shortCity('锡林郭勒盟')).toBe('锡林郭勒');
  });
});
