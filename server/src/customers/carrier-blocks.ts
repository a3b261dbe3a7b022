/**
 * Hand-kept carrier of each number block (号段), used when the 7-digit attribution data has no
 * entry: the bundled data is from ~2015 and lacks 16x/19x, 149/166/173/175/198/… entirely.
 */
export type Carrier = '中国移动' | '中国联通' | '中国电信' | '中国广电' | '虚拟运营商';

const BY_CARRIER: Record<Carrier, readonly string[]> = {
  中国电信: ['133', '149', '153', '173', '177', '180', '181', '189', '190', '191', '193', '199'],
  中国移动: [
    '134',
    '135',
    '136',
    '137',
    '138',
    '139',
    '147',
    '148',
    '150',
    '151',
    '152',
    '157',
    '158',
    '159',
    '172',
    '178',
    '182',
    '183',
    '184',
    '187',
    '188',
    '195',
    '197',
    '198',
  ],
  中国联通: ['130', '131', '132', '145', '146', '155', '156', '166', '175', '176', '185', '186', '196'],
  中国广电: ['192'],
  // Whole blocks sold to MVNOs. 170: 1700-1702 电信网, 1703/1705/1706 移动网, 1704/1707-1709 联通网 —
  // all still "虚拟运营商" to a rep, so no 4-digit rows are needed for them.
  虚拟运营商: ['162', '165', '167', '170', '171'],
};

const PREFIX3 = new Map<string, Carrier>((Object.entries(BY_CARRIER) as [Carrier, readonly string[]][]).flatMap(([c, ps]) => ps.map((p) => [p, c] as const)));

/**
 * 4-digit exceptions; they win over both PREFIX3 and the 7-digit data.
 * 1349 was 中国卫通 satellite service, not a 中国移动 mobile; the old data files it under 北京/中国移动.
 */
export const PREFIX4_OVERRIDES: ReadonlyMap<string, Carrier | null> = new Map([['1349', null]]);

/** Carrier for a number (or its first 3-4 digits) from the block tables alone, or null. */
export function fallbackCarrier(phoneOrPrefix: string): Carrier | null {
  const p4 = phoneOrPrefix.slice(0, 4);
  if (PREFIX4_OVERRIDES.has(p4)) return PREFIX4_OVERRIDES.get(p4) ?? null;
  return PREFIX3.get(phoneOrPrefix.slice(0, 3)) ?? null;
}

const MNO_LABELS: Record<string, Carrier> = {
  移动: '中国移动',
  中国移动: '中国移动',
  联通: '中国联通',
  中国联通: '中国联通',
  电信: '中国电信',
  中国电信: '中国电信',
  广电: '中国广电',
  中国广电: '中国广电',
};

/**
 * Maps a data source's carrier label. Any other named label (虚拟, 阿里通信, 苏宁互联, 爱施德, …) is an
 * MVNO; blank/未知 falls back to the block table.
 */
export function carrierFromLabel(label: string, prefix: string): Carrier | null {
  const l = label.trim();
  if (l === '' || l === '未知') return fallbackCarrier(prefix);
  return MNO_LABELS[l] ?? '虚拟运营商';
}
