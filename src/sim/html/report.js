// irqshape --html report: draws the header, tables and SVG charts from the run's JSON
// document, embedded in the page as the JSON script element #irqshape-data (the --json
// schema, docs/sim-output.md). No network and no libraries: plain DOM + SVG.
// Values may be null (JSON has no NaN) and series may be empty: every reader below
// treats a missing number as "no data" rather than as 0.
(function () {
  'use strict';

  const SVG_NS = 'http://www.w3.org/2000/svg';
  const doc = JSON.parse(document.getElementById('irqshape-data').textContent);
  const main = document.getElementById('report');
  const scenario = doc.scenario || {};
  const sourcesSpec = Array.isArray(scenario.sources) ? scenario.sources : [];
  const policies = Array.isArray(doc.policies) ? doc.policies : [];

  // ---------------------------------------------------------------- helpers

  const isNum = (v) => typeof v === 'number' && Number.isFinite(v);
  const get = (obj, ...path) => path.reduce((o, k) => (o == null ? undefined : o[k]), obj);

  function append(node, children) {
    for (const c of children.flat(Infinity)) {
      if (c == null || c === false) continue;
      node.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    }
    return node;
  }
  // An HTML element: h('td', {class: 'text'}, 'text', child, ...). Text is never parsed
  // as HTML (source names come from trace files).
  function h(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v != null) e.setAttribute(k, String(v));
    return append(e, children);
  }
  function s(tag, attrs, ...children) {
    const e = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v != null) e.setAttribute(k, String(v));
    return append(e, children);
  }
  const tooltip = (text) => s('title', {}, text);

  const us = (ns) => (isNum(ns) ? (ns / 1e3).toFixed(2) : '-');
  const signedUs = (ns) => (isNum(ns) ? (ns < 0 ? '' : '+') + (ns / 1e3).toFixed(2) : '-');
  const thousands = (v) => (isNum(v) ? Math.round(v).toLocaleString('en-US') : '-');
  const fixed = (v, digits) => (isNum(v) ? v.toFixed(digits) : '-');
  const percent = (f) => (isNum(f) ? (100 * f).toFixed(1) + '%' : '-');
  const count = (v) => (isNum(v) ? v.toLocaleString('en-US') : '-');

  // 1500 -> "1.5k", 2e6 -> "2M", 0.5 -> "0.5": axis labels.
  function short(v) {
    const a = Math.abs(v);
    const trim = (x) => String(Number(x.toPrecision(3)));
    if (a >= 1e9) return trim(v / 1e9) + 'G';
    if (a >= 1e6) return trim(v / 1e6) + 'M';
    if (a >= 1e3) return trim(v / 1e3) + 'k';
    return trim(v);
  }
  function duration(ns) {
    if (!isNum(ns)) return '-';
    if (ns >= 1e9) return Number((ns / 1e9).toPrecision(4)) + ' s';
    if (ns >= 1e6) return Number((ns / 1e6).toPrecision(4)) + ' ms';
    if (ns >= 1e3) return Number((ns / 1e3).toPrecision(4)) + ' µs';
    return ns + ' ns';
  }
  const quantileName = (q) => (q === 0 ? 'min' : q === 1 ? 'max' : 'p' + Number((q * 100).toPrecision(6)));

  // ---------------------------------------------------------------- policies

  // One colour per policy (Okabe-Ito and Tol's colour-blind-safe sets); the reference
  // (none) is near-black. Beyond the palette, colours repeat with a dash pattern.
  const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#882255', '#117733',
                   '#999933', '#AA4499'];
  const isReference = (p) => p.spec === doc.reference_policy;
  const runs = [];
  policies.forEach((p) => {
    const k = isReference(p) ? -1 : runs.filter((r) => !r.reference).length;
    runs.push({
      p,
      label: String(p.spec != null ? p.spec : p.name),
      reference: isReference(p),
      colour: k < 0 ? '#222222' : PALETTE[k % PALETTE.length],
      dash: k >= PALETTE.length ? '7 3' : null,
    });
  });
  const referenceRun = runs.find((r) => r.reference) || runs[0];
  // Lines are drawn reference first, wider, so a policy that behaves exactly like it
  // shows as a coloured line inside the reference's band instead of hiding it.
  const lineClass = (r) => (r.reference ? 'series reference' : 'series');
  const referenceFirst = (list, run) => [...list].sort((a, b) => Number(run(b).reference) - Number(run(a).reference));
  const swatch = (r) => h('span', {class: 'swatch', style: 'background:' + r.colour});

  // The metrics object a chart or table reads: the total, or one source's (index >= 0).
  const metricsOf = (p, source) => (source < 0 ? p.total : get(p, 'sources', source)) || {};
  const sourceName = (i) => String(get(sourcesSpec, i, 'name') ?? get(policies, 0, 'sources', i, 'name') ?? 'source ' + i);

  // ---------------------------------------------------------------- scales and axes

  // A scale maps a domain value to pixels; .ticks() lists [value, label, major] (a major
  // tick's label is placed first: powers of ten on a log axis). A linear
  // domain is widened to whole tick steps unless `exact` (a time axis ends where the run did).
  function linearScale(d0, d1, r0, r1, format, exact) {
    if (!(d1 > d0)) d1 = d0 + 1;
    const raw = (d1 - d0) / 5;
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((st) => st >= raw);
    if (!exact) {
      d0 = Math.floor(d0 / step) * step;
      d1 = Math.ceil(d1 / step) * step;
    }
    const f = (v) => r0 + ((v - d0) / (d1 - d0)) * (r1 - r0);
    f.ticks = () => {
      const t = [];
      for (let k = Math.ceil(d0 / step - 1e-9); k * step <= d1 + step * 1e-9; k++) t.push([k * step, format(k * step)]);
      return t;
    };
    return f;
  }
  // Log scale; values at or below the domain's start are drawn at its start.
  function logScale(d0, d1, r0, r1, format) {
    if (!(d0 > 0)) d0 = 1;
    if (!(d1 > d0)) d1 = d0 * 10;
    const l0 = Math.log10(d0), l1 = Math.log10(d1);
    const f = (v) => r0 + ((Math.log10(Math.max(v, d0)) - l0) / (l1 - l0)) * (r1 - r0);
    f.ticks = () => {
      const pick = (mantissas) => {
        const t = [];
        for (let e = Math.floor(l0); e <= Math.ceil(l1); e++)
          for (const m of mantissas) {
            const v = m * Math.pow(10, e);
            if (v >= d0 * (1 - 1e-9) && v <= d1 * (1 + 1e-9)) t.push([v, format(v), m === 1]);
          }
        return t;
      };
      let t = pick([1]);
      if (t.length < 3) t = pick([1, 2, 5]);
      if (t.length < 3) t = pick([1, 1.5, 2, 3, 4, 5, 6, 7, 8, 9]);
      if (t.length < 2) t = [[d0, format(d0)], [d1, format(d1)]];
      return t;
    };
    return f;
  }
  // The latency CDF's tail view: y = -log10(1 - q), so 90 %, 99 %, 99.9 %, 99.99 % are
  // equally spaced and the tail gets as much room as the body.
  function ninesScale(r0, r1) {
    const top = 4;  // 99.99 %
    const f = (q) => r0 + (Math.min(-Math.log10(Math.max(1 - q, 1e-12)), top) / top) * (r1 - r0);
    f.ticks = () => [[0, '0%'], [0.5, '50%'], [0.9, '90%'], [0.99, '99%'], [0.999, '99.9%'], [0.9999, '99.99%']];
    return f;
  }

  // The axis of a chart with nothing to draw: no ticks (no made-up values).
  function blankScale(r0) {
    const f = () => r0;
    f.ticks = () => [];
    return f;
  }

  // A padded [min, max] of the positive values (for log axes).
  function positiveExtent(values, pad) {
    const v = values.filter((x) => isNum(x) && x > 0);
    if (!v.length) return null;
    return [Math.min(...v) / pad, Math.max(...v) * pad];
  }

  // The frame every chart shares: plot area on the left, legend on the right.
  const W = 900, H = 360;
  const M = {left: 74, right: 214, top: 14, bottom: 50};
  const X0 = M.left, X1 = W - M.right, Y0 = H - M.bottom, Y1 = M.top;

  function frame(label) {
    return s('svg', {class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label,
                     preserveAspectRatio: 'xMinYMin meet'});
  }

  // Which ticks get a label: major ones first, then any that does not crowd a label
  // already placed (log axes have dense ticks near the top of each decade).
  function labelled(ticks, pos, gap) {
    const placed = [];
    const fits = (p, text) => placed.every((q) => Math.abs(q - p) >= gap(text));
    const keep = ticks.map(() => false);
    for (const pass of [true, false])
      ticks.forEach(([v, text, major], i) => {
        if (!keep[i] && Boolean(major) === pass && fits(pos(v), text)) {
          keep[i] = true;
          placed.push(pos(v));
        }
      });
    return keep;
  }

  // Grid lines, ticks (labelled where there is room), the axis lines and their titles.
  function axes(svg, x, y, xTitle, yTitle) {
    const g = s('g', {class: 'axes'});
    const xt = x.ticks(), yt = y.ticks();
    const xKeep = labelled(xt, x, (text) => text.length * 7 + 10);
    const yKeep = labelled(yt, y, () => 16);
    xt.forEach(([v, text], i) => {
      const px = x(v);
      g.append(s('line', {class: 'grid', x1: px, x2: px, y1: Y1, y2: Y0}),
               s('g', {class: 'tick'}, s('line', {class: 'axis', x1: px, x2: px, y1: Y0, y2: Y0 + (xKeep[i] ? 5 : 3)}),
                 xKeep[i] ? s('text', {x: px, y: Y0 + 18, 'text-anchor': 'middle'}, text) : null));
    });
    yt.forEach(([v, text], i) => {
      const py = y(v);
      g.append(s('line', {class: 'grid', x1: X0, x2: X1, y1: py, y2: py}),
               s('g', {class: 'tick'}, s('line', {class: 'axis', x1: X0 - (yKeep[i] ? 5 : 3), x2: X0, y1: py, y2: py}),
                 yKeep[i] ? s('text', {x: X0 - 8, y: py + 4, 'text-anchor': 'end'}, text) : null));
    });
    g.append(s('line', {class: 'axis', x1: X0, x2: X1, y1: Y0, y2: Y0}),
             s('line', {class: 'axis', x1: X0, x2: X0, y1: Y0, y2: Y1}),
             s('text', {class: 'axis-title', x: (X0 + X1) / 2, y: H - 10, 'text-anchor': 'middle'}, xTitle),
             s('text', {class: 'axis-title', x: 16, y: (Y0 + Y1) / 2, 'text-anchor': 'middle',
                        transform: `rotate(-90 16 ${(Y0 + Y1) / 2})`}, yTitle));
    svg.append(g);
  }

  // Legend entries: {run} for a policy, or {label, colour, dash, note} for anything else.
  function legend(svg, entries, marker) {
    const g = s('g', {class: 'legend'});
    const x = X1 + 22;
    entries.forEach((e, i) => {
      const y = M.top + 10 + i * 20;
      const label = e.run ? e.run.label : e.label;
      const colour = e.run ? e.run.colour : e.colour;
      const dash = e.run ? e.run.dash : e.dash;
      const text = label.length > 24 ? label.slice(0, 23) + '…' : label;
      const item = s('g', {}, tooltip(e.note || label));
      if (marker) item.append(s('circle', {cx: x + 11, cy: y, r: 5, fill: colour}));
      else item.append(s('line', {x1: x, x2: x + 22, y1: y, y2: y, stroke: colour, 'stroke-dasharray': dash,
                                  class: e.run ? lineClass(e.run) : e.cls || 'series'}));
      item.append(s('text', {x: x + 30, y: y + 4}, text));
      g.append(item);
    });
    svg.append(g);
  }

  // Legend entries of the policies a chart could not draw (no data for the selection).
  const notDrawn = (drawnRuns, why) => runs.filter((r) => !drawnRuns.includes(r)).map((r) =>
    ({label: r.label + ' (no data)', colour: '#bbbbbb', note: `${r.label}: ${why}`}));

  function emptyMessage(svg, text) {
    svg.append(s('text', {class: 'empty', x: (X0 + X1) / 2, y: (Y0 + Y1) / 2, 'text-anchor': 'middle'}, text));
  }

  // An SVG path through points; null points break the line.
  function pathData(points) {
    let d = '', pen = false;
    for (const pt of points) {
      if (!pt) { pen = false; continue; }
      d += (pen ? 'L' : 'M') + pt[0].toFixed(1) + ',' + pt[1].toFixed(1);
      pen = true;
    }
    return d;
  }

  // ---------------------------------------------------------------- charts

  // (a) Latency CDF per policy: x = latency (µs, log), y = fraction of events at or
  // below it, from the quantile grid latency_quantiles and each run's latency_ns.cdf.
  function cdfChart(view) {
    const qs = Array.isArray(doc.latency_quantiles) ? doc.latency_quantiles : [];
    const tail = view.cdfScale === 'tail';
    const series = runs.map((r) => {
      const lat = metricsOf(r.p, view.source).latency_ns || {};
      const cdf = Array.isArray(lat.cdf) ? lat.cdf : [];
      // The tail view ends at 99.99 %: the max (q = 1) has no finite position on it.
      const pts = qs.map((q, i) => [cdf[i], q]).filter(([v, q]) => isNum(v) && isNum(q) && (!tail || q < 1));
      return {r, pts, samples: lat.count};
    });
    const svg = frame('Latency CDF per policy');
    const ext = positiveExtent(series.flatMap((x) => x.pts.map(([v]) => v / 1e3)), 1.15);
    const drawn = series.filter((x) => x.pts.some(([v]) => v > 0));
    if (!ext || !drawn.length) {
      axes(svg, blankScale(X0), linearScale(0, 1, Y0, Y1, (v) => Math.round(v * 100) + '%'),
           'latency (µs, log scale)', 'events at or below (%)');
      emptyMessage(svg, 'no latency samples above 0 ns (a log axis has no 0)');
      legend(svg, notDrawn([], 'no latency samples above 0 ns for this selection'));
      return {svg, series: 0};
    }
    const x = logScale(ext[0], ext[1], X0, X1, short);
    const y = tail ? ninesScale(Y0, Y1) : linearScale(0, 1, Y0, Y1, (v) => Math.round(v * 100) + '%');
    axes(svg, x, y, 'latency: device event → end of its ISR (µs, log scale)',
         tail ? 'events at or below (%, tail stretched)' : 'events at or below (%)');
    const lines = s('g', {}), hot = s('g', {});
    for (const {r, pts, samples} of referenceFirst(drawn, (d) => d.r)) {
      const visible = pts.filter(([v]) => v > 0);
      lines.append(s('path', {class: lineClass(r), stroke: r.colour, 'stroke-dasharray': r.dash,
                              d: pathData(visible.map(([v, q]) => [x(v / 1e3), y(q)]))},
                     tooltip(`${r.label}: ${count(samples)} events`)));
      for (const [v, q] of visible)
        hot.append(s('circle', {class: 'hot', cx: x(v / 1e3).toFixed(1), cy: y(q).toFixed(1), r: 4, fill: r.colour},
                     tooltip(`${r.label}\n${quantileName(q)} = ${us(v)} µs`)));
    }
    svg.append(lines, hot);
    legend(svg, drawn.map((d) => ({run: d.r}))
                   .concat(notDrawn(drawn.map((d) => d.r), 'no latency samples above 0 ns for this selection')));
    return {svg, series: drawn.length};
  }

  // (b) Interrupt rate over time per policy (series.interrupts, per series_bin_ns), with
  // the device event rate of the input as a dashed line. Bins are merged so that at most
  // ~150 points are drawn.
  function rateChart(view) {
    const bin = doc.series_bin_ns, bins = doc.series_bins;
    const svg = frame('Interrupt rate over time per policy');
    const pick = (p, kind) => {
      const sr = get(p, 'series', kind);
      const a = view.source < 0 ? get(sr, 'total') : get(sr, 'by_source', view.source);
      return Array.isArray(a) && a.length ? a : null;
    };
    if (!isNum(bin) || bin <= 0 || !isNum(bins) || bins <= 0) {
      axes(svg, blankScale(X0), blankScale(Y0), 'simulated time', 'interrupts/s');
      emptyMessage(svg, 'no time series in this run');
      legend(svg, notDrawn([], 'no time series'));
      return {svg, series: 0};
    }
    const merge = Math.max(1, Math.ceil(bins / 150));
    const toRates = (a) => {
      const out = [];
      for (let i = 0; i < bins; i += merge) {
        const end = Math.min(i + merge, bins);
        let sum = 0, ok = true;
        for (let j = i; j < end; j++) {
          if (isNum(a[j])) sum += a[j];
          else ok = false;
        }
        out.push(ok ? sum / (((end - i) * bin) / 1e9) : null);
      }
      return out;
    };
    const series = runs.map((r) => ({r, a: pick(r.p, 'interrupts')})).filter((x) => x.a)
                       .map((x) => ({...x, v: toRates(x.a)}));
    const eventsArray = referenceRun && pick(referenceRun.p, 'events');
    const input = eventsArray ? toRates(eventsArray) : null;
    const all = series.flatMap((x) => x.v).concat(input || []);
    const useLog = view.rateScale === 'log';
    const inMs = bins * bin < 10e9;
    const unit = inMs ? 1e6 : 1e9;
    const timeText = (v) => Number(v.toPrecision(6)).toLocaleString('en-US');
    const x = linearScale(0, (bins * bin) / unit, X0, X1, timeText, true);
    const max = Math.max(0, ...all.filter(isNum));
    const ext = positiveExtent(all, 1);
    const y = useLog && ext ? logScale(Math.max(ext[0] / 1.5, ext[1] / 1e5), ext[1] * 1.3, Y0, Y1, short)
                            : linearScale(0, max > 0 ? max * 1.05 : 1, Y0, Y1, short);
    const mergedMs = (merge * bin) / 1e6;
    axes(svg, x, y, `simulated time (${inMs ? 'ms' : 's'}); each point: ${Number(mergedMs.toPrecision(3))} ms`,
         `interrupts/s${useLog ? ' (log scale)' : ''}`);
    if (!series.length) {
      emptyMessage(svg, 'no interrupt series in this run');
      legend(svg, notDrawn([], 'no time series'));
      return {svg, series: 0};
    }
    // Where the input stops (the run then drains what is held).
    const end = scenario.duration_ns;
    if (isNum(end) && end > 0 && end < bins * bin * 0.995) {
      const px = x(end / unit);
      svg.append(s('line', {class: 'mark', x1: px, x2: px, y1: Y1, y2: Y0}, tooltip('end of the input (duration)')));
    }
    // Point i covers bins [i * merge, (i + 1) * merge) (the last one may be shorter); drawn at its middle.
    const mid = (i) => x(((i * merge + Math.min((i + 1) * merge, bins)) / 2) * bin / unit);
    const points = (v) => v.map((val, i) => (isNum(val) ? [mid(i), y(val)] : null));
    // The input goes under the policies' lines: where a policy delivers one interrupt per
    // event (none) its line runs inside the dashed band.
    const lines = s('g', {});
    if (input)
      lines.append(s('path', {class: 'series input', d: pathData(points(input))},
                     tooltip(`device events/s under ${referenceRun.label}`)));
    for (const {r, v} of referenceFirst(series, (x2) => x2.r))
      lines.append(s('path', {class: lineClass(r), stroke: r.colour, 'stroke-dasharray': r.dash, d: pathData(points(v))},
                     tooltip(r.label)));
    svg.append(lines);
    // Hover: one column per point, listing every line's value there.
    const hover = s('g', {});
    series[0].v.forEach((_, i) => {
      const t0 = (i * merge * bin) / unit, t1 = (Math.min((i + 1) * merge, bins) * bin) / unit;
      const rows = series.map(({r, v}) => `${r.label}: ${thousands(v[i])}/s`);
      if (input) rows.push(`device events: ${thousands(input[i])}/s`);
      hover.append(s('rect', {class: 'hover', x: x(t0).toFixed(1), y: Y1, width: Math.max(x(t1) - x(t0), 1).toFixed(1),
                              height: Y0 - Y1},
                     tooltip(`${timeText(t0)}-${timeText(t1)} ${inMs ? 'ms' : 's'}\n${rows.join('\n')}`)));
    });
    svg.append(hover);
    const entries = series.map((x2) => ({run: x2.r})).concat(notDrawn(series.map((x2) => x2.r), 'no time series'));
    if (input)
      entries.push({label: 'device events/s (input)', cls: 'series input',
                    note: `device events per second under ${referenceRun.label} (the same for every policy on ` +
                          'open-loop sources; closed-loop sources issue at the rate the policy lets them)'});
    legend(svg, entries);
    return {svg, series: series.length};
  }

  // (c) Interrupts/s versus p99 latency, one labelled point per policy: lower left is
  // fewer interrupts and lower tail latency.
  function tradeoffChart(view) {
    const svg = frame('Interrupts per second versus p99 latency per policy');
    const pts = runs.map((r) => {
      const m = metricsOf(r.p, view.source);
      return {r, ips: m.interrupts_per_s, p99: get(m, 'latency_ns', 'p99'), m};
    });
    const ok = pts.filter((pt) => isNum(pt.ips) && pt.ips > 0 && isNum(pt.p99) && pt.p99 > 0);
    const xe = positiveExtent(ok.map((pt) => pt.ips), 1.35);
    const ye = positiveExtent(ok.map((pt) => pt.p99 / 1e3), 1.25);
    const x = xe ? logScale(xe[0], xe[1], X0, X1, short) : blankScale(X0);
    const y = ye ? logScale(ye[0], ye[1], Y0, Y1, short) : blankScale(Y0);
    axes(svg, x, y, 'interrupts/s delivered into the guest (log scale)', 'p99 latency (µs, log scale)');
    if (!ok.length) {
      emptyMessage(svg, 'no policy has both interrupts and a p99 latency above 0');
      legend(svg, notDrawn([], 'no interrupts, or no p99 latency above 0, for this selection'), true);
      return {svg, series: 0};
    }
    // Policies on the same spot (within 3 px) share one label and are drawn as concentric
    // rings; labels go right of their point (left near the right edge), pushed apart.
    const groups = [];
    for (const pt of referenceFirst(ok, (o) => o.r)) {
      const px = x(pt.ips), py = y(pt.p99 / 1e3);
      const g = groups.find((o) => Math.abs(o.px - px) < 3 && Math.abs(o.py - py) < 3);
      if (g) g.members.push(pt);
      else groups.push({px, py, members: [pt]});
    }
    groups.sort((a, b) => a.py - b.py);
    const labels = [];
    for (const {px, py, members} of groups) {
      const names = members.map((pt) => pt.r.label).join(', ');
      const text = names.length > 40 ? names.slice(0, 39) + '…' : names;
      const n = members.length;
      const gap = 9 + 3 * (n - 1);  // past the outer ring
      const width = text.length * 6.6;
      const left = px + gap + width > X1;
      const lx0 = left ? px - gap - width : px + gap;
      let ly = py + 4;
      for (const o of labels)
        if (Math.abs(o.y - ly) < 13 && lx0 < o.x1 && lx0 + width > o.x0) ly = o.y + 13;
      if (ly > Y0 - 2) ly = py - 10;  // no room below: above the point
      labels.push({x0: lx0, x1: lx0 + width, y: ly});
      const tip = members.map((pt) => `${pt.r.label}\n${thousands(pt.ips)} interrupts/s, p99 ${us(pt.p99)} µs, ` +
                                      `events/interrupt ${fixed(pt.m.events_per_interrupt, 2)}, ` +
                                      `irq CPU ${percent(pt.m.irq_cpu_fraction)}`).join('\n');
      svg.append(s('g', {}, tooltip(tip),
                   members.map((pt, k) => s('circle', {class: 'marker', cx: px.toFixed(1), cy: py.toFixed(1),
                                                       r: 6 + 3 * (n - 1 - k), fill: pt.r.colour})),
                   s('text', {x: (left ? px - gap : px + gap).toFixed(1), y: ly.toFixed(1),
                              'text-anchor': left ? 'end' : 'start'}, text)));
    }
    legend(svg, ok.map((pt) => ({run: pt.r}))
                  .concat(notDrawn(ok.map((pt) => pt.r), 'no interrupts, or no p99 latency above 0, for this selection')),
           true);
    return {svg, series: ok.length};
  }

  // ---------------------------------------------------------------- sections

  function header() {
    const facts = [
      ['scenario', scenario.name],
      ['command', doc.command === 'replay' && doc.input ? `replay of ${doc.input}` : doc.command],
      ['simulated', `${duration(scenario.duration_ns)} of input, ${scenario.vcpus ?? '-'} vCPUs, ` +
                    `${scenario.apic_mode ?? '-'}${scenario.directed_eoi ? ', directed EOI' : ''}`],
      ['delivery path', scenario.delivery_path === 'posted' ? 'posted interrupts (APICv / AVIC)'
                        : scenario.delivery_path === 'exit' ? 'exit-based (VM exit to inject, exit on EOI)'
                        : scenario.delivery_path],
      ['seed', scenario.seed],
      ['reference policy', doc.reference_policy ?? '(none ran)'],
      ['generator', `${doc.generator ?? '-'}, JSON schema version ${doc.schema_version ?? '-'}`],
    ];
    const costs = scenario.costs;
    if (costs)
      facts.push(['costs', `posted delivery ${count(costs.posted_delivery_ns)} ns, kick exit ${count(costs.kick_exit_ns)} ns, ` +
                           `EOI exit ${count(costs.eoi_exit_ns)} ns, wake-up ${count(costs.wakeup_ns)} ns, ` +
                           `guest dispatch ${count(costs.guest_dispatch_ns)} ns, HLT exits ${costs.hlt_exits ? 'on' : 'off'}`]);
    return h('dl', {class: 'facts'}, facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v == null ? '-' : String(v))]));
  }

  const closedLoop = sourcesSpec.map((src, i) => ({src, i})).filter(({src}) => src.closed_loop);
  const throughputLabel = (src) => `${src.name} ${src.class === 'block' ? 'IOPS' : 'req/s'}`;

  function comparisonTable() {
    const cols = ['irq/s', 'ev/irq', 'p50 µs', 'p99 µs', 'p99.9 µs', '+p99 µs', 'irq CPU', 'exits/s'];
    const head = h('tr', {}, h('th', {}, 'policy'), cols.map((c) => h('th', {}, c)),
                   closedLoop.map(({src}) => h('th', {}, throughputLabel(src))));
    const body = runs.map((r) => {
      const t = r.p.total || {};
      const lat = t.latency_ns || {};
      return h('tr', {class: r.reference ? 'reference' : null, 'data-policy': r.label},
               h('td', {}, swatch(r), r.label, r.p.reference_only ? h('span', {class: 'tag'}, 'reference') : null),
               h('td', {}, thousands(t.interrupts_per_s)), h('td', {}, fixed(t.events_per_interrupt, 2)),
               h('td', {}, us(lat.p50)), h('td', {}, us(lat.p99)), h('td', {}, us(lat.p999)),
               h('td', {}, r.reference ? 'ref' : signedUs(get(t, 'added_latency_ns', 'p99'))),
               h('td', {}, percent(t.irq_cpu_fraction)), h('td', {}, thousands(t.exits_per_s)),
               closedLoop.map(({i}) => h('td', {}, thousands(get(r.p, 'sources', i, 'requests', 'throughput_per_s')))));
    });
    const notes = runs.flatMap((r) => (Array.isArray(r.p.notes) ? r.p.notes : []).map((n) => h('li', {}, `${r.label}: ${n}`)));
    return [h('div', {class: 'table-wrap'}, h('table', {id: 'comparison'}, h('thead', {}, head), h('tbody', {}, body))),
            h('p', {class: 'muted'}, 'latency: device event → end of the ISR that served it, all sources; +p99: vs ',
              doc.reference_policy ?? 'the reference', ' on the same input; irq CPU: guest vCPU time in interrupt ',
              'context (exits inside it included) over all vCPUs; the last columns are the throughput of ',
              'closed-loop sources.'),
            notes.length ? [h('h3', {}, 'Notes'), h('ul', {}, notes)] : null];
  }

  function sourcesTable() {
    const text = [true, true, true, false, false, false, true];
    const head = h('tr', {}, ['source', 'class', 'wiring', 'vCPU', 'IRQL', 'ISR cost', 'workload']
                                .map((c, i) => h('th', {class: text[i] ? 'text' : null}, c)));
    const body = sourcesSpec.map((src) => {
      const line = src.line ? `, ${src.line.isa_irq ? 'ISA IRQ' : 'GSI'} ${src.line.number}` +
                              (src.line.wire_active_low ? ', active low' : '') : '';
      return h('tr', {}, h('td', {class: 'text'}, src.name), h('td', {class: 'text'}, src.class),
               h('td', {class: 'text'}, src.wiring + line),
               h('td', {}, src.cpu), h('td', {}, src.irql),
               h('td', {}, `${count(src.isr_base_ns)} + ${count(src.isr_per_event_ns)}/event ns`),
               h('td', {class: 'text'}, src.workload, src.closed_loop ? h('span', {class: 'tag'}, 'closed loop') : null));
    });
    return h('div', {class: 'table-wrap'}, h('table', {}, h('thead', {}, head), h('tbody', {}, body)));
  }

  function perPolicyDetails() {
    return runs.map((r) => {
      const p = r.p;
      const cols = ['irq/s', 'ev/irq', 'p50 µs', 'p99 µs', 'p99.9 µs', '+p99 µs', 'irq CPU', 'exits/s', 'dropped',
                    'lost', 'IRR merged', 'req/s', 'req p99 µs'];
      const rows = (Array.isArray(p.sources) ? p.sources : []).map((m, i) => {
        const lat = m.latency_ns || {};
        return h('tr', {}, h('td', {}, m.name ?? sourceName(i)), h('td', {}, thousands(m.interrupts_per_s)),
                 h('td', {}, fixed(m.events_per_interrupt, 2)), h('td', {}, us(lat.p50)), h('td', {}, us(lat.p99)),
                 h('td', {}, us(lat.p999)),
                 h('td', {}, r.reference ? 'ref' : signedUs(get(m, 'added_latency_ns', 'p99'))),
                 h('td', {}, percent(m.irq_cpu_fraction)), h('td', {}, thousands(m.exits_per_s)),
                 h('td', {}, count(m.dropped)), h('td', {}, count(m.lost)), h('td', {}, count(m.irr_merged)),
                 h('td', {}, m.requests ? thousands(m.requests.throughput_per_s) : ''),
                 h('td', {}, m.requests ? us(get(m, 'requests', 'latency_ns', 'p99')) : ''));
      });
      const vcpus = (Array.isArray(p.vcpus) ? p.vcpus : []).map((v) =>
        h('tr', {}, h('td', {}, `vCPU ${v.id}`), h('td', {}, count(v.dispatches)), h('td', {}, count(v.preemptions)),
          h('td', {}, count(v.wakeups)), h('td', {}, count(get(v, 'exits', 'total'))), h('td', {}, percent(v.irq_fraction)),
          h('td', {}, percent(v.halted_fraction))));
      const notes = Array.isArray(p.notes) && p.notes.length ? h('ul', {}, p.notes.map((n) => h('li', {}, n))) : null;
      return h('details', {class: 'policy'},
               h('summary', {}, swatch(r), h('b', {}, r.label), p.description ? ` — ${p.description}` : ''),
               h('div', {class: 'table-wrap'}, h('table', {},
                 h('thead', {}, h('tr', {}, h('th', {}, 'source'), cols.map((c) => h('th', {}, c)))),
                 h('tbody', {}, rows))),
               h('div', {class: 'table-wrap'}, h('table', {},
                 h('thead', {}, h('tr', {}, ['vCPU', 'dispatches', 'preemptions', 'wake-ups', 'exits', 'irq time',
                                             'halted'].map((c) => h('th', {}, c)))),
                 h('tbody', {}, vcpus))),
               notes,
               p.telemetry != null ? h('details', {}, h('summary', {}, 'policy telemetry (as the policy reports it)'),
                                       h('pre', {}, JSON.stringify(p.telemetry, null, 1))) : null,
               h('p', {class: 'muted'}, `run drained at ${duration(p.end_ns)}; ${count(p.engine_events)} engine events`));
    });
  }

  function readingNotes() {
    const items = [
      ['Latency', ' is measured per device event, from the event (a packet, a completion, a tick) to the end of the ' +
                  'interrupt handler that served it; quantiles come from a histogram accurate to ' +
                  `${isNum(doc.latency_relative_error) ? (doc.latency_relative_error * 100).toFixed(2) : '0.39'} %.`],
      ['+p99', ` is the difference from ${doc.reference_policy ?? 'the reference policy'}'s p99 on the same input: ` +
               'what the policy adds to (or removes from) the tail.'],
      ['The CDF', ' in its default tail view spaces 90 %, 99 %, 99.9 % and 99.99 % equally, so the tail is visible; ' +
                  'the linear view shows the body. A curve further left is faster. Hover a point for its value.'],
      ['Interrupt rate over time', ' shows what each policy delivers into the guest; the dashed line is the device ' +
                                   'events of the input. The gap between them is coalescing. Hover for values.'],
      ['Interrupts versus p99', ' is the trade-off in one picture: lower left is better (fewer interrupts, lower ' +
                                'tail). A policy up and to the left saves interrupts at the cost of latency.'],
      ['irq CPU and exits/s', ' are the cost side: guest time spent in interrupt context, and VM exits (cheaper ' +
                              'on the posted path, where EOIs of edge vectors do not exit).'],
      ['Closed-loop throughput', ' (IOPS, req/s) falls out of the model: a delayed completion delays the next ' +
                                 'request, so a policy that adds latency to a queue-depth-1 device lowers its IOPS.'],
      ['The numbers', ' are from a simulation with estimated costs (docs/simulator.md): read them as what changes ' +
                      'with the policy more than as absolute values. The data of this page is the script element ' +
                      '#irqshape-data, the --json document (docs/sim-output.md).'],
    ];
    return h('ul', {}, items.map(([b, rest]) => h('li', {}, h('b', {}, b), rest)));
  }

  // ---------------------------------------------------------------- page

  const view = {source: -1, cdfScale: 'tail', rateScale: 'log'};
  const charts = [
    {id: 'chart-cdf', title: 'Latency CDF per policy', draw: cdfChart,
     caption: 'Fraction of device events served within a latency.',
     control: {key: 'cdfScale', options: [['tail', 'tail view (99 %, 99.9 %, ... equally spaced)'], ['linear', 'linear']]}},
    {id: 'chart-rate', title: 'Interrupt rate over time', draw: rateChart,
     caption: 'Interrupts per second delivered into the guest, per policy, and the device event rate of the input.',
     control: {key: 'rateScale', options: [['log', 'log scale'], ['linear', 'linear scale']]}},
    {id: 'chart-tradeoff', title: 'Interrupts per second versus p99 latency', draw: tradeoffChart,
     caption: 'One point per policy; lower left is fewer interrupts and a lower tail.'},
  ];
  const figures = charts.map((c) => {
    const figure = h('figure', {class: 'chart', id: c.id});
    const head = h('div', {class: 'chart-head'}, h('figcaption', {}, h('b', {}, c.title), ' ', h('span', {class: 'muted'}, c.caption)));
    if (c.control) {
      const select = h('select', {'aria-label': c.title + ' scale'},
                       c.control.options.map(([v, text]) => h('option', {value: v}, text)));
      select.value = view[c.control.key];
      select.addEventListener('change', () => { view[c.control.key] = select.value; drawCharts(); });
      head.append(select);
    }
    figure.append(head);
    return {c, figure};
  });

  // Draws (or redraws) the three charts; <html data-rendered="N"> counts those drawn
  // without an exception, and each <svg> says in data-series how many lines or points it has.
  function drawCharts() {
    let rendered = 0;
    for (const {c, figure} of figures) {
      const old = figure.querySelector('svg');
      if (old) old.remove();
      try {
        const {svg, series} = c.draw(view);
        svg.setAttribute('data-series', String(series));
        figure.append(svg);
        rendered++;
      } catch (e) {
        console.error(`${c.title}: ${e && e.stack ? e.stack : e}`);
      }
    }
    document.documentElement.setAttribute('data-rendered', String(rendered));
  }

  function section(title, ...content) {
    try {
      return [h('h2', {}, title), content.map((f) => f())];
    } catch (e) {
      console.error(`${title}: ${e && e.stack ? e.stack : e}`);
      return h('h2', {}, title);
    }
  }

  const sourceSelect = h('select', {id: 'source-select', 'aria-label': 'source shown in the charts'},
                         h('option', {value: '-1'}, 'all sources'),
                         sourcesSpec.map((src, i) => h('option', {value: String(i)}, `${src.name} (${src.class})`)));
  sourceSelect.addEventListener('change', () => { view.source = Number(sourceSelect.value); drawCharts(); });

  append(main, [
    section('Scenario', header),
    section('Policies compared', comparisonTable),
    h('h2', {}, 'Charts'),
    h('div', {class: 'controls'}, h('label', {for: 'source-select'}, 'Charts show'), sourceSelect),
    figures.map((f) => f.figure),
    section('Per source, per policy', () => h('p', {class: 'muted'}, 'Open a policy for its sources and vCPUs ' +
                                               '(irq CPU of a source is a share of one vCPU).'), perPolicyDetails),
    section('Sources', sourcesTable),
    section('How to read this report', readingNotes)]);
  drawCharts();
  // file:///report.html#check-all-views draws every source and scale choice once (the
  // headless-browser test: a view that throws is reported by errors.js), then the default.
  if (location.hash === '#check-all-views') {
    let views = 0;
    for (let source = -1; source < sourcesSpec.length; source++)
      for (const cdfScale of ['tail', 'linear'])
        for (const rateScale of ['log', 'linear']) {
          Object.assign(view, {source, cdfScale, rateScale});
          drawCharts();
          views++;
        }
    Object.assign(view, {source: -1, cdfScale: 'tail', rateScale: 'log'});
    drawCharts();
    document.documentElement.setAttribute('data-views-checked', String(views));
  }
  // Printing shows every policy's details.
  window.addEventListener('beforeprint', () => document.querySelectorAll('details').forEach((d) => { d.open = true; }));
})();
