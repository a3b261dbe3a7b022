import { z } from 'zod';
import { CONCLUSION_MAX } from '../vocabulary';
import { charLength } from '../schemas/common';

/** The three fields filled from a voice note, shown to the rep as a draft; nothing is saved until they confirm. */
export interface FollowupDraft {
  /** one of the company's action tags, or null when the note does not say */
  action: string | null;
  conclusion: string;
  nextStep: {
    /** the words the date came from, e.g. 下周三 */
    when: string;
    at: number;
    iso: string;
    label: string;
    action: string;
  } | null;
  /** who made the draft */
  by: 'llm' | 'rules';
}

/**
 * What the model must return (strict JSON schema). Dates stay as the customer's/rep's words: the project's
 * date parser turns them into an instant, which is more reliable than a model doing calendar arithmetic.
 */
export function llmDraftSchema(actions: readonly string[]) {
  return z.object({
    action: z
      .enum(actions as [string, ...string[]])
      .nullable()
      .describe('本次已完成的跟进动作，只能从列表中选；说不清时为 null'),
    conclusion: z
      .string()
      .refine((s) => charLength(s) <= CONCLUSION_MAX, `不超过${CONCLUSION_MAX}字`)
      .describe(`关键结论：客户的态度、顾虑和意向，${CONCLUSION_MAX}字以内，不含时间安排`),
    nextStepWhen: z.string().nullable().describe('下一步的时间，照原话抄写，如「下周三下午」「明天」；没有则为 null'),
    nextStepAction: z.string().nullable().describe('下一步要做的事，如「发试听课链接」；没有则为 null'),
  });
}

/** Cut to at most `max` characters (as people count them). */
export function clip(s: string, max = CONCLUSION_MAX): string {
  const chars = [...s.trim()];
  return chars.length <= max ? s.trim() : chars.slice(0, max).join('');
}
