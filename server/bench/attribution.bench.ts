/**
 * Attribution microbenchmark: table load cost, then lookups/s over pre-generated phones.
 * Run: npx tsx server/bench/attribution.bench.ts   (add --expose-gc for a cleaner heap delta)
 */
import { loadBundledAttribution } from '../src/customers/attribution';

const LOOKUPS = 5_000_000;
const PHONES = 1 << 16; // power of two: index with a mask, no modulo in the loop
const gc = (globalThis as { gc?: () => void }).gc;

gc?.();
const heapBefore = process.memoryUsage();
const t0 = performance.now();
const attribution = loadBundledAttribution();
const loadMs = performance.now() - t0;
gc?.();
const heapAfter = process.memoryUsage();
const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
console.log(`load: ${loadMs.toFixed(1)} ms, ${attribution.knownPrefixes} prefixes with data`);
console.log(
  `heap delta: ${mb(heapAfter.heapUsed - heapBefore.heapUsed)} MB heapUsed, ` +
    `${mb(heapAfter.arrayBuffers - heapBefore.arrayBuffers)} MB arrayBuffers${gc ? '' : ' (no --expose-gc: includes garbage)'}`,
);

// Random valid mobiles over all 13x–19x blocks: a mix of prefixes with 7-digit data and fallback-only ones.
const phones: string[] = [];
for (let i = 0; i < PHONES; i++) {
  const second = 3 + Math.floor(Math.random() * 7);
  phones.push(`1${second}${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}`);
}
const knownShare = phones.filter((p) => attribution.lookup(p).city !== null).length / PHONES;

function run(n: number): number {
  let hits = 0; // consume results so the loop can't be optimised away
  for (let i = 0; i < n; i++) if (attribution.lookup(phones[i & (PHONES - 1)]!).city !== null) hits++;
  return hits;
}

run(1_000_000); // warm-up (JIT)
const t1 = performance.now();
const hits = run(LOOKUPS);
const secs = (performance.now() - t1) / 1000;
const lookupsPerSec = Math.round(LOOKUPS / secs);
console.log(`${LOOKUPS} lookups in ${(secs * 1000).toFixed(0)} ms, known share ${(knownShare * 100).toFixed(0)}% (${hits} hits)`);
console.log(`${lookupsPerSec.toLocaleString('en-US')} lookups/s (target ≥ 1,000,000)`);
console.log(JSON.stringify({ bench: 'attribution', lookupsPerSec, loadMs: Math.round(loadMs) }));
