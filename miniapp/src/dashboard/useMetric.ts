import { useCallback, useEffect, useState } from 'react';
import { api, ApiError } from '../lib/api';

export type Loaded<T> =
  | { state: 'loading'; data: T | null }
  | { state: 'ok'; data: T }
  | { state: 'forbidden'; message: string; data: null }
  | { state: 'error'; message: string; data: T | null };

/** GET a metrics endpoint; reloads when the path (filters included) changes. 403 becomes a 无权查看 state. */
export function useMetric<T>(path: string | null): Loaded<T> & { reload: () => void } {
  const [res, setRes] = useState<Loaded<T>>({ state: 'loading', data: null });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!path) return;
    let live = true;
    setRes((r) => ({ state: 'loading', data: r.data }));
    api<T>('GET', path).then(
      (data) => live && setRes({ state: 'ok', data }),
      (e: ApiError) => {
        if (!live) return;
        if (e.status === 403) setRes({ state: 'forbidden', message: e.message, data: null });
        else if (e.status === 404 && /\/api\/metrics/.test(path) && /请求失败|Not Found/.test(e.message)) {
          setRes({ state: 'error', message: '服务器尚未提供该看板的数据接口', data: null });
        } else setRes({ state: 'error', message: e.message, data: null });
      },
    );
    return () => {
      live = false;
    };
  }, [path, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...res, reload };
}
