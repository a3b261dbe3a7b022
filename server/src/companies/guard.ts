import { AppError } from '../http/errors';

/** Stored records a settings change would reinterpret or leave pointing at something no longer offered. */
export interface Impact {
  what: string;
  count: number;
}

/**
 * A settings change that touches stored data needs an explicit yes: without `confirm: true` it is refused with a 409
 * that says how many records of which kind, and nothing is saved. Nothing is ever deleted by a settings change either
 * way: old records keep their values.
 */
export function requireConfirmation(impacts: Impact[], confirmed: boolean | undefined): void {
  const real = impacts.filter((i) => i.count > 0);
  if (!real.length || confirmed) return;
  throw new AppError(
    409,
    'confirm_required',
    `此更改会影响已有记录：${real.map((i) => `${i.what} ${i.count} 条`).join('；')}。已有记录不会被删除，确认后请重新提交（confirm: true）`,
    { impacts: real },
  );
}
