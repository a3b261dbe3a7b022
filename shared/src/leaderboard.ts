/**
 * The entry leaderboard (docs/leaderboard.md): points for follow-ups that carry information — an action, a conclusion
 * that says something, a next step; a confirmed voice draft counts extra — and none for the ways to game it: the same
 * lead again within minutes, the same conclusion again (repeated on the lead or pasted onto others). Pure, so the
 * sidebar can say before saving what an entry will earn, and the reasons are the server's own.
 */
export interface LeaderboardRules {
  actionPoints: number;
  conclusionPoints: number;
  nextStepPoints: number;
  voicePoints: number;
  /** A conclusion says something when it has at least this many letters or digits, and is not filler. */
  minConclusionChars: number;
  /** A second entry on the same lead by the same person within this many minutes earns nothing. */
  cooldownMinutes: number;
  /** The same conclusion by the same person within this many days (on any lead) earns nothing. */
  copyWindowDays: number;
}

export const DEFAULT_LEADERBOARD_RULES: LeaderboardRules = {
  actionPoints: 1,
  conclusionPoints: 2,
  nextStepPoints: 2,
  voicePoints: 1,
  minConclusionChars: 6,
  cooldownMinutes: 10,
  copyWindowDays: 7,
};

/** Words that record that something happened but say nothing about the customer. */
const FILLER = ['已沟通', '已联系', '已跟进', '沟通', '联系', '跟进', '无', '没有', '好的', '同上', '正常', 'ok', '已回复', '暂无', '待定', '已发送'];

/** The conclusion as compared for copy-paste: letters and digits only, lower case. */
export function conclusionKey(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
}

export function saysSomething(conclusion: string, minChars: number): boolean {
  const key = conclusionKey(conclusion);
  if (key.length < minChars) return false;
  if (new Set(key).size < 3) return false; // 哈哈哈哈哈哈, 111111
  let rest = key;
  for (const f of FILLER) rest = rest.split(f).join('');
  return rest.length >= Math.ceil(minChars / 2);
}

export interface EntryFacts {
  leadId: number;
  at: number;
  action: string;
  conclusion: string;
  hasNextStep: boolean;
  fromVoice: boolean;
}

/** The same person's earlier entries the rules compare with (newest first is not required). */
export interface EarlierEntry {
  leadId: number;
  at: number;
  conclusionKey: string;
}

export interface EntryScore {
  points: number;
  /** One line per point given or refused, as the audit and the sidebar show them. */
  reasons: string[];
}

/** Only the company's quick phrases (tapped, not written): legitimate on every lead, but not a conclusion's content. */
function phrasesOnly(key: string, quickPhrases: string[]): boolean {
  let rest = key;
  for (const p of quickPhrases
    .map(conclusionKey)
    .filter(Boolean)
    .sort((a, b) => b.length - a.length))
    rest = rest.split(p).join('');
  return rest.length < 2;
}

export function entryPoints(
  e: EntryFacts,
  earlier: EarlierEntry[],
  rules: LeaderboardRules = DEFAULT_LEADERBOARD_RULES,
  quickPhrases: string[] = [],
): EntryScore {
  const recent = earlier.find((x) => x.leadId === e.leadId && e.at - x.at >= 0 && e.at - x.at < rules.cooldownMinutes * 60_000);
  if (recent) return { points: 0, reasons: [`${rules.cooldownMinutes}分钟内同一线索已记录过，不计分`] };
  const key = conclusionKey(e.conclusion);
  const phrases = key.length > 0 && phrasesOnly(key, quickPhrases);
  const copied = !phrases && key.length > 0 && earlier.some((x) => x.conclusionKey === key && e.at - x.at < rules.copyWindowDays * 86_400_000);
  if (copied) return { points: 0, reasons: [`与${rules.copyWindowDays}天内的另一条记录结论相同，不计分`] };
  const reasons: string[] = [];
  let points = 0;
  const give = (n: number, why: string) => {
    if (n <= 0) return;
    points += n;
    reasons.push(`${why} +${n}`);
  };
  if (e.action.trim()) give(rules.actionPoints, '记录了跟进动作');
  if (phrases) reasons.push('结论只有快捷短语，不加结论分');
  else if (saysSomething(e.conclusion, rules.minConclusionChars)) give(rules.conclusionPoints, '结论有实际内容');
  else reasons.push(`结论太短或没有信息（至少${rules.minConclusionChars}个字），不加分`);
  if (e.hasNextStep) give(rules.nextStepPoints, '约定了下一步');
  if (e.fromVoice) give(rules.voicePoints, '语音草稿已确认');
  return { points, reasons };
}
