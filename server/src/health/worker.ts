import type { AppContext } from '../context';
import { alarmDeleteSpikes } from './delete-spikes';

/** Looks for delete spikes every `seconds` (default a minute), so the admins hear of one within a minute. */
export class SpikeWatcher {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> = Promise.resolve();

  constructor(private readonly app: AppContext) {}

  start(seconds = 60, onError: (err: unknown) => void = () => undefined): void {
    this.timer = setInterval(() => {
      this.running = alarmDeleteSpikes(this.app).catch(onError);
    }, seconds * 1000);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
