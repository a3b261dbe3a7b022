import { randomBytes } from 'node:crypto';

/** A lease holder name unique to this process and claim, so a stolen (expired) lease is recognisable. */
export function leaseName(prefix: string): string {
  return `${prefix}:${process.pid}:${randomBytes(6).toString('hex')}`;
}
