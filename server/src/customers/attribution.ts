/**
 * Offline 号段归属地: province / city / carrier from a mobile number's first 7 digits.
 * Data: npm `query-mobile-phone-area@1.0.6` (MIT, ~2015), decoded once into a flat typed array.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { PREFIX4_OVERRIDES, carrierFromLabel, fallbackCarrier } from './carrier-blocks';
import { shortCity, shortProvince } from './region-names';

export { SAMPLE_PREFIXES } from './sample-prefixes';

const ATTRIBUTION_LABEL = '号段归属地，仅供参考';

interface PhoneAttribution {
  province: string | null;
  city: string | null;
  carrier: string | null;
  label: typeof ATTRIBUTION_LABEL;
}

/** Anything that can attribute a number; swap in another source (e.g. a licensed prefix file) behind this. */
export interface AttributionSource {
  /** `phone` is an already-normalised, valid 11-digit mobile. */
  lookup(phone: string): PhoneAttribution;
}

export interface BundledAttribution extends AttributionSource {
  /** 7-digit prefixes that have province/city data (the rest get a carrier-only fallback). */
  readonly knownPrefixes: number;
}

const BASE = 1_300_000; // table covers 130xxxx–199xxxx
const SIZE = 700_000;

function makeRecord(province: string | null, city: string | null, carrier: string | null): PhoneAttribution {
  return Object.freeze({ province, city, carrier, label: ATTRIBUTION_LABEL });
}

const UNKNOWN = makeRecord(null, null, null);

function dataFile(): string {
  const req = createRequire(import.meta.url);
  return join(dirname(req.resolve('query-mobile-phone-area/package.json')), 'data', 'mobilephones.data');
}

/** `id,value` lines (the package's `type` and `area` sections). */
function parseDict(block: string): Map<string, string> {
  const dict = new Map<string, string>();
  for (const line of block.split('\n').slice(1)) {
    const comma = line.indexOf(',');
    if (comma > 0) dict.set(line.slice(0, comma).trim(), line.slice(comma + 1).trim());
  }
  return dict;
}

/**
 * File format (see the package's lib/query.js): gzip text of sections split by "----------\n".
 * `type` and `area` map short ids to names ("7,江苏 南京"); each `number-NNN` section has one line per
 * 4-digit suffix 0000–9999 (line index = suffix), either empty or "areaId,typeId".
 */
export function loadBundledAttribution(): BundledAttribution {
  const sections = gunzipSync(readFileSync(dataFile())).toString('utf8').split('----------\n');
  const header = (s: string) => {
    const nl = s.indexOf('\n');
    return nl < 0 ? s : s.slice(0, nl);
  };
  const types = parseDict(sections.find((s) => header(s) === 'type') ?? '');
  const areas = parseDict(sections.find((s) => header(s) === 'area') ?? '');

  const records: PhoneAttribution[] = [UNKNOWN];
  const recordIds = new Map<string, number>();
  const intern = (province: string | null, city: string | null, carrier: string | null): number => {
    if (province === null && city === null && carrier === null) return 0;
    const key = `${province}|${city}|${carrier}`;
    let id = recordIds.get(key);
    if (id === undefined) {
      id = records.push(makeRecord(province, city, carrier)) - 1;
      recordIds.set(key, id);
    }
    return id;
  };

  const table = new Uint16Array(SIZE);
  // Carrier-only fallback first, per 4-digit block; real data overwrites it below.
  for (let p4 = 1300; p4 < 2000; p4++) {
    const start = (p4 - 1300) * 1000;
    table.fill(intern(null, null, fallbackCarrier(String(p4))), start, start + 1000);
  }

  let knownPrefixes = 0;
  for (const section of sections) {
    const head = header(section);
    if (!head.startsWith('number-')) continue;
    const p3 = head.slice(7);
    const p3n = Number(p3);
    if (!(p3n >= 130 && p3n < 200)) continue;
    const lineIds = new Map<string, number>(); // "areaId,typeId" → record id, per block
    const skipThousands = Array.from({ length: 10 }, (_, d) => PREFIX4_OVERRIDES.has(p3 + d));
    let pos = head.length + 1;
    for (let suffix = 0; pos < section.length && suffix < 10_000; suffix++) {
      let end = section.indexOf('\n', pos);
      if (end < 0) end = section.length;
      const start = pos;
      pos = end + 1;
      if (end === start || skipThousands[(suffix / 1000) | 0]) continue;
      const line = section.slice(start, end);
      let id = lineIds.get(line);
      if (id === undefined) {
        const [areaId = '', typeId = ''] = line.split(',').map((x) => x.trim());
        const [province = '', city = ''] = (areas.get(areaId) ?? '').split(/\s+/);
        id = intern(province ? shortProvince(province) : null, city ? shortCity(city) : null, carrierFromLabel(types.get(typeId) ?? '', p3));
        lineIds.set(line, id);
      }
      table[p3n * 10_000 + suffix - BASE] = id;
      knownPrefixes++;
    }
  }
  if (records.length > 0xffff) throw new Error(`attribution: ${records.length} records overflow Uint16`);

  return {
    knownPrefixes,
    // Hot path: digit arithmetic + one typed-array read, returns a shared frozen record.
    lookup(phone: string): PhoneAttribution {
      if (phone.length < 7) return UNKNOWN;
      let n = 0;
      for (let i = 0; i < 7; i++) {
        const d = phone.charCodeAt(i) - 48;
        if (d < 0 || d > 9) return UNKNOWN;
        n = n * 10 + d;
      }
      const idx = n - BASE;
      return idx >= 0 && idx < SIZE ? records[table[idx]] : UNKNOWN;
    },
  };
}

let shared: BundledAttribution | undefined;

/** Process-wide instance; the ~1.5 MB data file is decoded on first use only. */
export function getAttribution(): AttributionSource {
  return (shared ??= loadBundledAttribution());
}
