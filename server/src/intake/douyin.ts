import type { FieldMapping } from '@lifeline/shared/src/intake';

/**
 * Field mapping for a 巨量引擎 / Douyin lead push (线索推送). The platform sends one lead per request,
 * with its own lead id (`clue_id`), the phone, a "省+市" location and the form's custom answers.
 */
export const DOUYIN_MAPPING: FieldMapping = {
  externalId: '$.clue_id',
  phone: '$.telephone',
  name: '$.name',
  province: '$.province_name',
  city: '$.city_name',
  region: '$.location',
  grade: '$.remark_dict.孩子年级',
  concerns: '$.remark_dict.关注点',
  campaign: '$.ad_name',
};

/** Largest accepted clock difference between the platform's timestamp and ours (replay window). */
export const DOUYIN_MAX_SKEW_MS = 5 * 60_000;
