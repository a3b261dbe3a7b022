import chardet from 'chardet';
import iconv from 'iconv-lite';
import Papa from 'papaparse';
import { readSheet } from 'read-excel-file/node';

export interface ParsedFile {
  format: 'csv' | 'xlsx';
  /** For CSV: the detected encoding (utf-8 or gb18030). */
  encoding: string | null;
  rows: unknown[][];
}

const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

/**
 * CSV text from bytes: UTF-8 when the bytes are valid UTF-8 (with or without BOM), otherwise what chardet
 * says, with GBK-family answers decoded as GB18030 (a superset of GBK, which is what Excel on Chinese
 * Windows writes).
 */
function decodeCsv(buf: Buffer): { text: string; encoding: string } {
  if (buf.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))) return { text: buf.subarray(3).toString('utf8'), encoding: 'utf-8' };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(buf), encoding: 'utf-8' };
  } catch {
    /* not UTF-8 */
  }
  const guess = (chardet.detect(buf) ?? '').toLowerCase();
  const encoding = /gb|big5|euc|iso-8859|windows-125/.test(guess) && !/big5/.test(guess) ? 'gb18030' : guess && iconv.encodingExists(guess) ? guess : 'gb18030';
  return { text: iconv.decode(buf, encoding), encoding };
}

export async function parseImportFile(buf: Buffer): Promise<ParsedFile> {
  if (buf.subarray(0, 4).equals(ZIP_MAGIC)) {
    const rows = (await readSheet(buf)) as unknown[][];
    return { format: 'xlsx', encoding: null, rows };
  }
  const { text, encoding } = decodeCsv(buf);
  // Every cell as text: a phone must never become a number on the way in.
  const parsed = Papa.parse<string[]>(text, { skipEmptyLines: 'greedy', dynamicTyping: false });
  return { format: 'csv', encoding, rows: parsed.data };
}
