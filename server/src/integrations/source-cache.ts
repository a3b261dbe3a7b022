import type { AppContext } from '../context';
import { EventSource } from './entities';

const TTL_MS = 2_000;

/**
 * Event sources by code, kept 2 s per process: a busy source's events do not each pay a lookup. A change made in
 * this process (a rotated secret, a source switched off) applies at once; one made in another process within 2 s.
 */
export class SourceCache {
  private readonly byCode = new Map<string, { at: number; source: EventSource | null }>();

  constructor(private readonly app: AppContext) {}

  async get(code: string): Promise<EventSource | null> {
    const now = Date.now();
    const hit = this.byCode.get(code);
    if (hit && now - hit.at < TTL_MS) return hit.source;
    const source = await this.app.ds.getRepository(EventSource).findOneBy({ code });
    this.byCode.set(code, { at: now, source });
    return source;
  }

  invalidate(code: string): void {
    this.byCode.delete(code);
  }
}
