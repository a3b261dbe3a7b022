import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError } from '../lib/api';

export type Loaded<T> =
  | { state: 'loading'; data: T | null }
  | { state: 'ok'; data: T }
  | { state: 'forbidden'; message: string; data: null }
  | { state: 'error'; message: string; data: T | null };

/**
 * GET a metrics endpoint for the signed-in viewer; reloads when the path (filters included) or the viewer changes.
 * The viewer is part of the key on purpose: the same path means other figures for another user, and a user switch
 * must never leave the previous user's numbers under the new name. 403 becomes a 无权查看 state.
 */
export function useMetric<T>(path: string | null, viewerId: number | null | undefined): Loaded<T> & { reload: () => void } {
  const [res, setRes] = useState<Loaded<T>>({ state: 'loading', data: null });
  const [tick, setTick] = useState(0);
  const shownFor = useRef<number | null | undefined>(viewerId);
  useEffect(() => {
    if (!path) return;
    let live = true;
    // While reloading, keep the figures on screen only if they belong to the same viewer.
    const sameViewer = shownFor.current === viewerId;
    shownFor.current = viewerId;
    setRes((r) => ({ state: 'loading', data: sameViewer ? r.data : null }));
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
  }, [path, viewerId, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...res, reload };
}
