import {
  DEFAULT_ACTION_NODE, DEFAULT_ACTION_TAGS, DEFAULT_LEVEL_A, DEFAULT_QUICK_PHRASES, DEFAULT_SCORE_WEIGHTS,
  type Role, type ScoreWeight,
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
}

export const DEFAULT_SETTINGS: CompanySettings = {
  actionTags: [...DEFAULT_ACTION_TAGS],
  quickPhrases: [...DEFAULT_QUICK_PHRASES],
  phoneVisibleRoles: ['rep', 'admin'],
  phoneRevealRoles: ['supervisor', 'ops', 'director', 'admin'],
  actionNodeRules: { ...DEFAULT_ACTION_NODE },
  scoreWeights: DEFAULT_SCORE_WEIGHTS,
  levelA: DEFAULT_LEVEL_A,
};

export function effectiveSettings(overrides: Partial<CompanySettings> | null | undefined): CompanySettings {
  return { ...DEFAULT_SETTINGS, ...(overrides ?? {}) };
}
