// ECharts, trimmed to what the dashboards draw (tree-shaken through echarts/core), rendered on a canvas by
// taro-react-echarts (a <div> on H5, <canvas type="2d"> in mini-programs).
import * as echarts from 'echarts/core';
import { BarChart, HeatmapChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkLineComponent, TooltipComponent, VisualMapComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, LineChart, HeatmapChart, GridComponent, TooltipComponent, LegendComponent, VisualMapComponent, MarkLineComponent, CanvasRenderer]);

export { echarts };

/** Colours shared by every chart (NutUI red as the brand colour, a calm blue for data). */
export const COLORS = { brand: '#fa2c19', data: '#1677ff', data2: '#52c41a', muted: '#c0c4cc', red: '#f5222d', text: '#555' };

/** CJK-capable font stack for canvas text (fonts-wqy-microhei on Linux, PingFang / YaHei on devices). */
export const CHART_FONT = '"PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif';
