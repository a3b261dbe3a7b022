import {
  DEFAULT_ACTION_NODE,
  DEFAULT_COURSES,
  DEFAULT_REQUIRED_PROFILE_FIELDS,
  DEFAULT_ACTION_TAGS,
  DEFAULT_LEVEL_A,
  DEFAULT_QUICK_PHRASES,
  DEFAULT_SCORE_WEIGHTS,
  type Role,
  type ScoreWeight,
} from '@lifeline/shared';

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
  courses: { name: string; concern: string }[];
  /** Customer fields counted by profile completeness. */
  requiredProfileFields: string[];
  /** Whether supervisors may export dashboard CSVs (ops/director/admin always may). */
  supervisorCanExport: boolean;
  /** A rep's 48 h follow-up rate below this turns red on the battle map. */
  followup48hThreshold: number;
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
};

export function effectiveSettings(overrides: Partial<CompanySettings> | null | undefined): CompanySettings {
  return { ...DEFAULT_SETTINGS, ...(overrides ?? {}) };
}
