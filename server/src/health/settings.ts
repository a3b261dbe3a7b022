/** When deletes count as a spike (one person, within the window) and the admins are alarmed. */
export interface DataSafetySettings {
  deleteSpikeCount: number;
  deleteSpikeMinutes: number;
}

export const DEFAULT_DATA_SAFETY: DataSafetySettings = { deleteSpikeCount: 50, deleteSpikeMinutes: 10 };

/** The company's data-safety settings (`settings.dataSafety`), defaults filled in. */
export function dataSafetySettings(settings: Record<string, unknown> | null | undefined): DataSafetySettings {
  const s = (settings?.dataSafety ?? {}) as Partial<DataSafetySettings>;
  const pos = (v: unknown, d: number) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : d);
  return {
    deleteSpikeCount: pos(s.deleteSpikeCount, DEFAULT_DATA_SAFETY.deleteSpikeCount),
    deleteSpikeMinutes: pos(s.deleteSpikeMinutes, DEFAULT_DATA_SAFETY.deleteSpikeMinutes),
  };
}
