export { draftByRules, DEFAULT_NEXT_ACTION } from './rules';
export { llmDraftSchema, clip, type FollowupDraft } from './draft';
