/**
 * One short spelling per region, so filters and reports group the same place together:
 * the bundled data mixes e.g. "恩施" with "恩施土家族苗族自治州" and "哈密" with "哈密地区".
 */

const PROVINCE_SUFFIX_RE = /(?:(?:壮族|回族|维吾尔)?自治区|特别行政区|省|市)$/;

export function shortProvince(name: string): string {
  const s = name.trim();
  const short = s.replace(PROVINCE_SUFFIX_RE, '');
  return short === '' ? s : short;
}

// Ethnic names that precede 自治州 in prefecture names ("红河哈尼族彝族自治州" → "红河").
const AUTONOMOUS_PREFECTURE_RE = /(?:(?:藏|白|哈尼|彝|傈僳|哈萨克|柯尔克孜|蒙古|苗|土家|壮|布依|侗|朝鲜|傣|景颇|回|羌)族?)*自治州$/;
const CITY_SUFFIX_RE = /(?:地区|林区|盟|市)$/;

// Old county/district names the data uses instead of the prefecture, and telecom-only regions.
const CITY_ALIASES: Record<string, string> = {
  '江汉（天门/仙桃/潜江）区': '江汉',
  海拉尔: '呼伦贝尔',
  临河: '巴彦淖尔',
  集宁: '乌兰察布',
  都匀: '黔南',
  吉首: '湘西',
  克孜勒苏柯尔克孜: '克孜勒苏',
};

export function shortCity(name: string): string {
  const s = name.trim();
  if (CITY_ALIASES[s]) return CITY_ALIASES[s];
  const short = s.replace(AUTONOMOUS_PREFECTURE_RE, '').replace(CITY_SUFFIX_RE, '');
  return short === '' ? s : short;
}
