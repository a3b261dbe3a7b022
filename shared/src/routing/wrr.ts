/**
 * Weighted round robin as a fixed, interleaved sequence of member ids (smooth WRR, as nginx does it):
 * weights 2:1:1 give A B C A rather than A A B C, so a burst never lands on one rep.
 * The pool keeps only an integer cursor into this sequence in the database; the sequence itself is
 * derived from the members, so the durable state is one number that a row lock protects.
 */
export interface WeightedMember {
  userId: number;
  weight: number;
}

export function smoothWeightedSequence(members: WeightedMember[]): number[] {
  const live = members.filter((m) => m.weight > 0);
  const total = live.reduce((s, m) => s + m.weight, 0);
  const current = live.map(() => 0);
  const seq: number[] = [];
  for (let n = 0; n < total; n++) {
    let best = -1;
    for (let i = 0; i < live.length; i++) {
      current[i] += live[i].weight;
      if (best < 0 || current[i] > current[best]) best = i;
    }
    current[best] -= total;
    seq.push(live[best].userId);
  }
  return seq;
}

interface Skip<R extends string = string> {
  userId: number;
  reason: R;
}

export interface Pick<R extends string = string> {
  /** null when nobody in a full turn of the sequence was eligible. */
  userId: number | null;
  /** Sequence position that was used (or the start position when nobody was chosen). */
  position: number;
  /** The cursor to store: one past the chosen position; unchanged when nobody was chosen. */
  nextCursor: number;
  skipped: Skip<R>[];
}

/**
 * Walk the sequence from the cursor and take the first eligible member. Members skipped lose this
 * turn (they are not owed one later), which keeps the rotation fair among the eligible.
 */
export function pickFromCursor<R extends string>(sequence: number[], cursor: number, ineligible: (userId: number) => R | null): Pick<R> {
  const len = sequence.length;
  if (!len) return { userId: null, position: 0, nextCursor: cursor, skipped: [] };
  const start = ((cursor % len) + len) % len;
  const skipped: Skip<R>[] = [];
  const seen = new Set<number>();
  for (let k = 0; k < len; k++) {
    const pos = (start + k) % len;
    const userId = sequence[pos];
    const why = ineligible(userId);
    if (why === null) return { userId, position: pos, nextCursor: cursor + k + 1, skipped };
    if (!seen.has(userId)) skipped.push({ userId, reason: why });
    seen.add(userId);
  }
  return { userId: null, position: start, nextCursor: cursor, skipped };
}
