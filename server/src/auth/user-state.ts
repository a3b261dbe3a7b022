import type { DataSource } from 'typeorm';
import { GroupCommit } from '../db/group-commit';

/** What a write request re-checks about its (cached) user: still active, and the versions its actor was built from. */
export interface UserState {
  active: boolean;
  deleted: boolean;
  userVersion: number;
  companyVersion: number;
}

interface Ask {
  userId: number;
  companyId: number;
}

const SELECT = `SELECT u.id, u.companyId, u.active, u.deletedAt, u.authVersion AS userVersion, c.authVersion AS companyVersion
  FROM app_user u JOIN company c ON c.id = u.companyId`;

/**
 * Reads user states for write requests. Every request gets a read issued after it arrived (so a deactivation that
 * committed before it is always seen), but while one read is in flight the requests arriving meanwhile share the next
 * one: under load one statement answers many writes instead of one round trip each (the same grouping as follow-up
 * saves, see db/group-commit.ts). An idle server reads at once.
 */
export class UserStates {
  private readonly reads: GroupCommit<Ask, UserState | null>;

  constructor(private readonly ds: DataSource) {
    this.reads = new GroupCommit<Ask, UserState | null>({
      maxBatch: 100,
      slots: 1,
      keys: () => [],
      alone: async (a) => (await this.read([a])).get(a.userId) ?? null,
      together: async (asks) => {
        const found = await this.read(asks);
        return asks.map((a) => ({ value: found.get(a.userId) ?? null }));
      },
    });
  }

  get(userId: number, companyId: number): Promise<UserState | null> {
    return this.reads.submit({ userId, companyId });
  }

  private async read(asks: Ask[]): Promise<Map<number, UserState>> {
    const ids = [...new Set(asks.map((a) => a.userId))];
    const rows: { id: unknown; companyId: unknown; active: unknown; deletedAt: unknown; userVersion: unknown; companyVersion: unknown }[] = await this.ds.query(
      `${SELECT} WHERE u.id IN (${ids.map(() => '?').join(',')})`,
      ids,
    );
    const companyOf = new Map(asks.map((a) => [a.userId, a.companyId]));
    const states = new Map<number, UserState>();
    for (const r of rows) {
      const id = Number(r.id);
      if (Number(r.companyId) !== companyOf.get(id)) continue; // a token names its company: another company's id is nobody
      states.set(id, {
        active: Boolean(Number(r.active)),
        deleted: r.deletedAt !== null,
        userVersion: Number(r.userVersion),
        companyVersion: Number(r.companyVersion),
      });
    }
    return states;
  }
}

const perDataSource = new WeakMap<DataSource, UserStates>();

/** One reader per database, shared by every `requireAuth` of the app (so all write routes group together). */
export function userStates(ds: DataSource): UserStates {
  let s = perDataSource.get(ds);
  if (!s) perDataSource.set(ds, (s = new UserStates(ds)));
  return s;
}
