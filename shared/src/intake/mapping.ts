import { getPath, parsePath } from './json-path';
import type { RawLeadFields } from './normalise';

/** Lead fields a channel can map from its payload. */
export const MAPPABLE_FIELDS = ['phone', 'name', 'city', 'province', 'region', 'grade', 'concerns', 'tags', 'campaign', 'externalId'] as const;
type MappableField = (typeof MAPPABLE_FIELDS)[number];

/** Field → JSON path in the incoming payload, e.g. { phone: '$.data.telephone', city: '$.data.city' }. */
export type FieldMapping = Partial<Record<MappableField, string>>;

/** The identity mapping: a payload already shaped like a lead. */
export const DEFAULT_MAPPING: FieldMapping = Object.fromEntries(MAPPABLE_FIELDS.map((f) => [f, `$.${f}`]));

export function invalidPaths(mapping: FieldMapping): string[] {
  return Object.entries(mapping)
    .filter(([, p]) => typeof p !== 'string' || !parsePath(p))
    .map(([f]) => f);
}

export function applyMapping(payload: unknown, mapping: FieldMapping): RawLeadFields {
  const out: RawLeadFields = {};
  for (const [field, path] of Object.entries(mapping) as [MappableField, string][]) {
    const v = getPath(payload, path);
    if (v !== undefined && v !== null && v !== '') out[field] = v;
  }
  return out;
}

/** Spreadsheet headers people actually use, mapped to lead fields. */
const HEADER_ALIASES: Record<string, keyof RawLeadFields> = {
  手机号: 'phone',
  手机: 'phone',
  手机号码: 'phone',
  电话: 'phone',
  联系电话: 'phone',
  phone: 'phone',
  mobile: 'phone',
  称呼: 'name',
  姓名: 'name',
  家长称呼: 'name',
  名字: 'name',
  name: 'name',
  城市: 'city',
  city: 'city',
  省份: 'province',
  省: 'province',
  province: 'province',
  地区: 'region',
  所在地区: 'region',
  省市: 'region',
  区域: 'region',
  年级: 'grade',
  孩子年级: 'grade',
  grade: 'grade',
  关注点: 'concerns',
  关注: 'concerns',
  核心关注: 'concerns',
  concerns: 'concerns',
  标签: 'tags',
  tags: 'tags',
  渠道: 'channel',
  渠道标签: 'channel',
  channel: 'channel',
  活动: 'campaign',
  campaign: 'campaign',
  线索id: 'externalId',
  线索ID: 'externalId',
};

/** Column index → field, from a header row; unknown columns are ignored. */
export function headerFields(headers: unknown[]): Map<number, keyof RawLeadFields> {
  const map = new Map<number, keyof RawLeadFields>();
  headers.forEach((h, i) => {
    const key = String(h ?? '')
      .replace(/[\s*：:（(].*$/, '')
      .trim();
    const field = HEADER_ALIASES[key] ?? HEADER_ALIASES[key.toLowerCase()];
    if (field && ![...map.values()].includes(field)) map.set(i, field);
  });
  return map;
}

export function rowFields(row: unknown[], fields: Map<number, keyof RawLeadFields>): RawLeadFields {
  const out: RawLeadFields = {};
  for (const [i, f] of fields) out[f] = row[i];
  return out;
}
