import { JOURNEY_NODES, type JourneyNode } from './vocabulary';

/**
 * Default action → journey node rules. A lead only moves forward: a phone call after a
 * trial booking must not drag it back to 首次触达.
 */
export const DEFAULT_ACTION_NODE: Record<string, JourneyNode> = {
  已电话沟通: '首次触达',
  已发送资料: '方案提供',
  已预约试听: '试听体验',
  已签约: '签约转化',
};

export function journeyIndex(node: string): number {
  return JOURNEY_NODES.indexOf(node as JourneyNode);
}

/** The node a lead moves to after a follow-up with `action`; unchanged when the rule points backwards. */
export function nextJourneyNode(current: string, action: string, rules: Record<string, string> = DEFAULT_ACTION_NODE): string {
  // Any follow-up at all means the lead was touched: 线索获取 → 首次触达 at minimum.
  const target = rules[action] ?? '首次触达';
  return journeyIndex(target) > journeyIndex(current) ? target : current;
}
