import {
  DEFAULT_ACTION_NODE,
  DEFAULT_COURSES,
  DEFAULT_REQUIRED_PROFILE_FIELDS,
  DEFAULT_ACTION_TAGS,
  DEFAULT_LEVEL_A,
  DEFAULT_QUICK_PHRASES,
  DEFAULT_SCORE_WEIGHTS,
  type Course,
  type Role,
  type ScoreWeight,
} from '@lifeline/shared';
import { DEFAULT_SIGNAL_SETTINGS, type SignalSettings } from '@lifeline/shared/src/signals';
import { DEFAULT_LEADERBOARD_RULES, type LeaderboardRules } from '@lifeline/shared/src/leaderboard';

/** How the WeCom / DingTalk directory becomes org units and users (docs/directory.md). */
export interface DirectorySettings {
  /** Department depth (the root is 0) that is a 中心, and the depth that is a 组; deeper departments fold into their 组. */
  centreDepth: number;
  teamDepth: number;
  /** A sync that would deactivate more than this share of the synced active users waits for an admin's review. */
  reviewDeactivateShare: number;
  /** When the scheduled full sync runs: a cron expression in China time; '' = only on demand and by events. */
  schedule: string;
  /** Where a leaver's open leads go: their unit's rotation queue (the supervisor assigns) or round robin in their pool. */
  leaverTarget: 'queue' | 'round_robin';
}

export const DEFAULT_DIRECTORY_SETTINGS: DirectorySettings = {
  centreDepth: 1,
  teamDepth: 2,
  reviewDeactivateShare: 0.1,
  schedule: '0 2 * * *',
  leaverTarget: 'queue',
};

export interface CompanySettings {
  actionTags: string[];
  quickPhrases: string[];
  /** Roles that see full phone numbers of leads in their scope; everyone else sees 138****1234. */
  phoneVisibleRoles: Role[];
  /** Roles that may reveal a masked phone (each reveal is audited). */
  phoneRevealRoles: Role[];
  actionNodeRules: Record<string, string>;
  scoreWeights: ScoreWeight[];
  levelA: number;
  /** Courses a lead can sign, each answering one core concern (demand match compares them). */
  courses: Course[];
  /** Customer fields counted by profile completeness. */
  requiredProfileFields: string[];
  /** Whether supervisors may export dashboard CSVs (ops/director/admin always may). */
  supervisorCanExport: boolean;
  /** A rep's 48 h follow-up rate below this turns red on the battle map. */
  followup48hThreshold: number;
  directory: DirectorySettings;
  /** Live intent signals: classes, static share, half-life, chat retention (docs/signals.md). */
  signals: SignalSettings;
  /** Whether a lead's KA co-owner may record follow-ups on it (attributed to them). */
  coOwnerCanRecord: boolean;
  /** Entry leaderboard points (docs/leaderboard.md). */
  leaderboard: LeaderboardRules;
}

export const DEFAULT_SETTINGS: CompanySettings = {
  actionTags: [...DEFAULT_ACTION_TAGS],
  quickPhrases: [...DEFAULT_QUICK_PHRASES],
  phoneVisibleRoles: ['rep', 'admin'],
  phoneRevealRoles: ['supervisor', 'ops', 'director', 'admin'],
  actionNodeRules: { ...DEFAULT_ACTION_NODE },
  scoreWeights: DEFAULT_SCORE_WEIGHTS,
  levelA: DEFAULT_LEVEL_A,
  courses: DEFAULT_COURSES.map((c) => ({ ...c })),
  requiredProfileFields: [...DEFAULT_REQUIRED_PROFILE_FIELDS],
  supervisorCanExport: false,
  followup48hThreshold: 0.85,
  directory: DEFAULT_DIRECTORY_SETTINGS,
  signals: DEFAULT_SIGNAL_SETTINGS,
  leaderboard: DEFAULT_LEADERBOARD_RULES,
  coOwnerCanRecord: true,
};

export function effectiveSettings(overrides: Partial<CompanySettings> | null | undefined): CompanySettings {
  const s = { ...DEFAULT_SETTINGS, ...(overrides ?? {}) };
  return {
    ...s,
    directory: { ...DEFAULT_DIRECTORY_SETTINGS, ...(overrides?.directory ?? {}) },
    signals: { ...DEFAULT_SIGNAL_SETTINGS, ...(overrides?.signals ?? {}) },
    leaderboard: { ...DEFAULT_LEADERBOARD_RULES, ...(overrides?.leaderboard ?? {}) },
  };
}
