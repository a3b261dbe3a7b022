import type { ScoreInput } from '@lifeline/shared';

/** The facts a lead is scored on, from the lead and its customer: one place, so every weight field is fed everywhere. */
export function scoreInputOf(
  lead: { channel: string; campaign?: string | null },
  customer:
    | { grade?: string | null; concerns?: string[] | null; city?: string | null; province?: string | null; carrier?: string | null; tags?: string[] | null }
    | null
    | undefined,
): ScoreInput {
  return {
    channel: lead.channel,
    campaign: lead.campaign ?? null,
    grade: customer?.grade ?? null,
    concerns: customer?.concerns ?? [],
    city: customer?.city ?? null,
    province: customer?.province ?? null,
    carrier: customer?.carrier ?? null,
    tags: customer?.tags ?? [],
  };
}
