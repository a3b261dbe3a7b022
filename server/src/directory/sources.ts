import type { AppContext } from '../context';
import type { Company } from '../companies/company.entity';
import type { DirectorySource } from './source';

/**
 * The directory a company's org is read from: WeCom when the server's WeCom app belongs to the company's corp,
 * else DingTalk likewise, else none (the company manages people by hand). Tests and benches inject a source
 * through `AppContext.directorySource`. Filled by the platform-adapter work of issue 16.
 */
export function directorySourceFor(app: AppContext, company: Company): DirectorySource | null {
  void app;
  void company;
  return null;
}
