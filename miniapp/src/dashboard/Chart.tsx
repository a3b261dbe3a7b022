import { memo, useMemo, useRef } from 'react';
import { View } from '@tarojs/components';
import Echarts from 'taro-react-echarts';
import { CHART_FONT, echarts } from './echarts';

interface Props {
  id: string;
  option: Record<string, unknown>;
  height: number;
  /** Chart events, e.g. { click: (p) => … }; kept stable across renders so the chart is not rebuilt. */
  onEvents?: Record<string, (params: any) => void>;
}

/** One ECharts chart. The option is plain data; text uses a CJK font so Chinese renders everywhere. */
export const Chart = memo(function Chart({ id, option, height, onEvents }: Props) {
  // taro-react-echarts re-creates the chart when the onEvents object changes: pass a stable object that
  // forwards to the latest handlers.
  const handlers = useRef(onEvents);
  handlers.current = onEvents;
  const events = useMemo(() => {
    const out: Record<string, (p: any) => void> = {};
    for (const name of Object.keys(onEvents ?? {})) out[name] = (p: any) => handlers.current?.[name]?.(p);
    return out;
    // Rebuilt only when the handler names change: the handlers themselves are read through the ref.
  }, [Object.keys(onEvents ?? {}).join()]);
  const full = useMemo(() => ({ textStyle: { fontFamily: CHART_FONT }, animation: false, ...option }), [option]);
  // Height only: the width follows the card (taro-react-echarts measures the container).
  const style = useMemo(() => ({ height: `${height}px` }), [height]);
  return (
    <View className="chart" id={id} style={{ height: `${height}px` }}>
      <Echarts echarts={echarts} option={full as any} style={style} onEvents={events} isPage={false} />
    </View>
  );
});
