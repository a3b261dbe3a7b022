/** Stored JSON text (an archived payload) as a value to show, or the text itself when it is not JSON. */
export function jsonOrText(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}
