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
    const { confirm } = await Taro.showModal({ title: '确认更改', content: e.message, confirmText: '确认更改', cancelText: '再想想' });
    return confirm ? send(true) : null;
  }
}
