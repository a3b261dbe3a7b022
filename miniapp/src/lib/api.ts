import Taro from '@tarojs/taro';

/** A failed call: `offline` when the server could not be reached (or answered 5xx), so the caller may retry later. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly offline: boolean,
    /** The server's `error.details`, e.g. `{field: 'nextStep.at'}` for a next step that has passed. */
    readonly details?: { field?: string; impacts?: { what: string; count: number }[] },
  ) {
    super(message);
  }
}

const TOKEN_KEY = 'lifeline.token';
let token: string = readToken();

function readToken(): string {
  try {
    return Taro.getStorageSync(TOKEN_KEY) || '';
  } catch {
    return '';
  }
}

export function setToken(t: string): void {
  token = t;
  Taro.setStorageSync(TOKEN_KEY, t);
}

export function authHeader(): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

export function hasToken(): boolean {
  return !!token;
}

export function apiUrl(path: string): string {
  return `${LIFELINE_API_BASE}${path}`;
}

/** The absolute address another system or a printed QR code uses (H5 is served by the server, so its origin is the API's). */
export function absoluteApiUrl(path: string): string {
  const p = apiUrl(path);
  return process.env.TARO_ENV === 'h5' && !/^https?:/.test(p) && typeof location !== 'undefined' ? `${location.origin}${p}` : p;
}

/** JSON call to the Lifeline API with the session token; errors carry the server's Chinese message. */
export async function api<T = any>(
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  let res: Taro.request.SuccessCallbackResult<any>;
  try {
    res = await Taro.request({
      url: apiUrl(path),
      method,
      data: body === undefined ? undefined : JSON.stringify(body),
      header: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      dataType: 'json',
      timeout: 10_000,
    });
  } catch {
    throw new ApiError('网络异常，连接不上服务器', 0, 'network', true);
  }
  return unwrap<T>(res.statusCode, res.data);
}

export function unwrap<T>(status: number, data: any): T {
  if (status >= 200 && status < 300) return data as T;
  const message = data?.error?.message ?? (status >= 500 ? '服务器暂时不可用' : `请求失败（${status}）`);
  throw new ApiError(message, status, data?.error?.code ?? 'error', status >= 500 || status === 0, data?.error?.details);
}
