/**
 * A small JSON path: `$.a.b[0].c`, `a.b.0.c` or `data["手机号"]`. Enough for ad-platform payloads,
 * configurable without code, and with no eval: a path is parsed into keys and walked.
 */
export function parsePath(path: string): (string | number)[] | null {
  let s = path.trim();
  if (s.startsWith('$')) s = s.slice(1);
  const keys: (string | number)[] = [];
  const re = /\.?([^.[\]]+)|\[(\d+)\]|\[["']([^"']+)["']\]/gy;
  let m: RegExpExecArray | null;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    m = re.exec(s);
    if (!m || m.index !== pos) return null;
    if (m[1] !== undefined) keys.push(/^\d+$/.test(m[1]) ? Number(m[1]) : m[1]);
    else if (m[2] !== undefined) keys.push(Number(m[2]));
    else keys.push(m[3]);
    pos = re.lastIndex;
  }
  return keys.length ? keys : null;
}

export function getPath(obj: unknown, path: string): unknown {
  const keys = parsePath(path);
  if (!keys) return undefined;
  let cur: unknown = obj;
  for (const k of keys) {
    if (cur === null || cur === undefined || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}
