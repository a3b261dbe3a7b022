/** Geometry of the journey heat map (px). Shared with the e2e test, which taps a cell at its computed centre. */
export const HEAT_GRID = { left: 70, right: 6, top: 6, bottom: 40, row: 34 } as const;

export function heatHeight(rows: number): number {
  return HEAT_GRID.top + HEAT_GRID.bottom + Math.max(rows, 1) * HEAT_GRID.row;
}
