export { parseChineseDate, type ParsedDate } from './parse-date';
export { formatShanghai } from './shanghai-time';
export { toNumber as chineseNumber } from './chinese-numbers';
export { nextStepChips, quietHoursNote, type QuietHours } from './next-step';
