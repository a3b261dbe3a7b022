export { parseChineseDate } from './parse-date';
export { formatShanghai } from './shanghai-time';
export { toNumber as chineseNumber } from './chinese-numbers';
