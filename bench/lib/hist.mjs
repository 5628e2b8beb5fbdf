// Log-linear histogram of microsecond values (HdrHistogram-like, ~0.2% precision), no allocation per record.
const SUB = 512;          // sub-buckets per power of two
const SUB_BITS = 9;
const MAX_EXP = 32;       // values up to ~2^41 µs

export class Hist {
  constructor() { this.counts = new Float64Array(SUB * 2 + SUB * MAX_EXP); this.n = 0; this.max = 0; this.sum = 0; }
  static index(v) {
    if (v < SUB * 2) return v;
    const e = 31 - Math.clz32(v) - SUB_BITS; // v >> e is in [SUB, 2*SUB)
    return SUB * 2 + (e - 1) * SUB + ((v >>> e) - SUB);
  }
  static value(i) {
    if (i < SUB * 2) return i;
    const e = Math.floor((i - SUB * 2) / SUB) + 1;
    const m = (i - SUB * 2) % SUB + SUB;
    return (m * 2 ** e) + (2 ** e - 1) / 2; // bucket midpoint
  }
  record(us) {
    let v = us < 0 ? 0 : Math.round(us);
    if (v > 0x7fffffff) v = 0x7fffffff;
    this.counts[Hist.index(v)]++; this.n++; this.sum += v;
    if (v > this.max) this.max = v;
  }
  merge(o) {
    const c = o.counts;
    for (let i = 0; i < c.length; i++) if (c[i]) this.counts[i] += c[i];
    this.n += o.n; this.sum += o.sum; if (o.max > this.max) this.max = o.max;
  }
  reset() { this.counts.fill(0); this.n = 0; this.max = 0; this.sum = 0; }
  pct(p) {
    if (!this.n) return null;
    const want = Math.max(1, Math.ceil(this.n * p / 100));
    let acc = 0;
    for (let i = 0; i < this.counts.length; i++) { acc += this.counts[i]; if (acc >= want) return Math.min(Hist.value(i), this.max); }
    return this.max;
  }
  // Summary in milliseconds.
  summary() {
    if (!this.n) return { n: 0 };
    const ms = (v) => Math.round(v) / 1000;
    return { n: this.n, mean: ms(this.sum / this.n), p50: ms(this.pct(50)), p90: ms(this.pct(90)), p99: ms(this.pct(99)), p999: ms(this.pct(99.9)), max: ms(this.max) };
  }
  toJSON() { return { counts: Array.from(this.counts), n: this.n, max: this.max, sum: this.sum }; }
  static fromTransfer(o) { const h = new Hist(); h.counts = o.counts instanceof Float64Array ? o.counts : Float64Array.from(o.counts); h.n = o.n; h.max = o.max; h.sum = o.sum; return h; }
}
