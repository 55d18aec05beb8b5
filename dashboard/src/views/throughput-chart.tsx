import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ThroughputSeries } from '../api';

const HEIGHT = 260;
const WINDOW_SECONDS = 15 * 60;

/** Messages per second, published and acknowledged, drawn by uPlot (canvas; the text summary is for screen readers). */
export function ThroughputChart({ series }: { series?: ThroughputSeries }) {
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const element = container.current!;
    plot.current = new uPlot(
      {
        width: element.clientWidth || 800,
        height: HEIGHT,
        scales: {
          // Always the whole window, ending at the newest point, so the line moves left as time passes.
          x: { time: true, range: (_u, _min, max) => [max - WINDOW_SECONDS, max] },
          y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] },
        },
        axes: [{}, { label: 'messages / s' }],
        series: [
          {},
          { label: 'Published / s', stroke: '#1f5fbf', width: 2, fill: 'rgba(31,95,191,0.08)' },
          { label: 'Acknowledged / s', stroke: '#1b7f3b', width: 2, dash: [6, 3] },
        ],
      },
      [[], [], []],
      element,
    );
    const resize = new ResizeObserver(() =>
      plot.current?.setSize({ width: element.clientWidth, height: HEIGHT }),
    );
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
    };
  }, []);

  useEffect(() => {
    if (!series || !plot.current) return;
    plot.current.setData([
      series.items.map((point) => Date.parse(point.at) / 1000),
      series.items.map((point) => point.published),
      series.items.map((point) => point.acknowledged),
    ]);
  }, [series]);

  const last = series?.items.at(-1);
  const summary = last
    ? `Messages per second over the last 15 minutes; latest: ${last.published} published, ${last.acknowledged} acknowledged per second.`
    : 'Messages per second over the last 15 minutes; no samples yet.';
  return <div class="chart" ref={container} role="img" aria-label={summary} />;
}
