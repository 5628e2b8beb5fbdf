// Counters and histograms for the request path: plain numbers per label set, turned into
// prom-client's metric shape only at scrape time. prom-client's own label-bound children hash
// their labels on every inc/observe, which cost about a fifth of the server's CPU on the
// batched send/receive/delete cycle; these cost an array index. They register in a prom-client
// Registry like any metric, so text output and AggregatorRegistry.aggregate() work unchanged.
import type { MetricObjectWithValues, MetricValue, Registry } from 'prom-client';

type Labels = Record<string, string>;

export interface CounterSeries {
  value: number;
}

export interface HistogramSeries {
  counts: Float64Array;
  sum: number;
  count: number;
}

abstract class FastMetric<S> {
  readonly aggregator = 'sum';
  protected readonly series = new Map<string, { labels: Labels; s: S }>();
  constructor(
    readonly name: string,
    readonly help: string,
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }
  protected abstract make(): S;
  /** The series for these labels; keep it and update it directly on the hot path. */
  labels(labels: Labels): S {
    const key = Object.values(labels).join('\0');
    let e = this.series.get(key);
    if (!e) {
      e = { labels, s: this.make() };
      this.series.set(key, e);
    }
    return e.s;
  }
  abstract get(): Promise<MetricObjectWithValues<MetricValue<string>>>;
  reset(): void {
    this.series.clear();
  }
}

export class FastCounter extends FastMetric<CounterSeries> {
  readonly type = 'counter';
  protected make(): CounterSeries {
    return { value: 0 };
  }
  async get(): Promise<MetricObjectWithValues<MetricValue<string>>> {
    const values = [...this.series.values()].map(({ labels, s }) => ({ labels, value: s.value }));
    return { name: this.name, help: this.help, type: this.type as never, values, aggregator: 'sum' } as unknown as MetricObjectWithValues<MetricValue<string>>;
  }
}

export class FastHistogram extends FastMetric<HistogramSeries> {
  readonly type = 'histogram';
  constructor(
    name: string,
    help: string,
    registry: Registry,
    private readonly buckets: readonly number[],
  ) {
    super(name, help, registry);
  }
  protected make(): HistogramSeries {
    return { counts: new Float64Array(this.buckets.length), sum: 0, count: 0 };
  }
  observe(s: HistogramSeries, v: number): void {
    const b = this.buckets;
    for (let i = 0; i < b.length; i++) {
      if (v <= b[i]!) {
        s.counts[i]!++;
        break;
      }
    }
    s.sum += v;
    s.count++;
  }
  async get(): Promise<MetricObjectWithValues<MetricValue<string>>> {
    const values: MetricValue<string>[] = [];
    for (const { labels, s } of this.series.values()) {
      let acc = 0;
      this.buckets.forEach((le, i) => {
        acc += s.counts[i]!;
        values.push({ labels: { ...labels, le }, value: acc, metricName: `${this.name}_bucket` } as MetricValue<string>);
      });
      values.push({ labels: { ...labels, le: '+Inf' }, value: s.count, metricName: `${this.name}_bucket` } as MetricValue<string>);
      values.push({ labels, value: s.sum, metricName: `${this.name}_sum` } as MetricValue<string>);
      values.push({ labels, value: s.count, metricName: `${this.name}_count` } as MetricValue<string>);
    }
    return { name: this.name, help: this.help, type: this.type as never, values, aggregator: 'sum' } as unknown as MetricObjectWithValues<MetricValue<string>>;
  }
}
