import Taro from '@tarojs/taro';
import { ApiError } from './api';

/**
 * Sends a settings change; when the server answers that it touches stored records (409 confirm_required, saying how
 * many), asks the admin with that message and sends it again with `confirm: true` only on a yes. Null = not confirmed.
 */
export async function sendWithConfirmation<T>(send: (confirm: boolean) => Promise<T>): Promise<T | null> {
  try {
    return await send(false);
  } catch (e) {
    if (!(e instanceof ApiError) || e.code !== 'confirm_required') throw e;
    // The server's counts, in words for a person (its message also tells API callers how to confirm).
    const impacts = e.details?.impacts?.map((i) => `${i.what} ${i.count} 条`).join('；');
    const content = impacts ? `此更改会影响已有记录：${impacts}。已有记录不会被删除。` : e.message;
    const { confirm } = await Taro.showModal({ title: '确认更改', content, confirmText: '确认更改', cancelText: '再想想' });
    return confirm ? send(true) : null;
  }
}
