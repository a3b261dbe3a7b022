export { draftByRules, DEFAULT_NEXT_ACTION, type RuleOptions } from './rules';
export { llmDraftSchema, clip, type FollowupDraft, type LlmDraft } from './draft';
