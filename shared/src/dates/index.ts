export { parseChineseDate, type ParsedDate } from './parse-date';
export { formatShanghai, toShanghaiIso, wallOf } from './shanghai-time';
export { toNumber as chineseNumber } from './chinese-numbers';
