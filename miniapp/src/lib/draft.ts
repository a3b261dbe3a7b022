/** The server's draft of the three fields (type only: the page does not ship the summariser). */
export type { FollowupDraft as Draft } from '@lifeline/shared/src/summarize/draft';
