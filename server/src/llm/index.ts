import type { AppConfig } from '../config';
import { LlmClient } from './llm-client';

export { LlmClient, LlmError } from './llm-client';

/** The configured model, or null when none is configured (callers then use their rule-based fallback). */
export function llmFromConfig(config: AppConfig): LlmClient | null {
  return config.llm ? new LlmClient(config.llm) : null;
}
