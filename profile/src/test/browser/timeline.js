// Gives a cprof HTML page a timeline with a known phase change, built from its own "self"
// lists (for HtmlTimelineBrowserTest while the writer has no time buckets of its own).
//   inject(inFile, outFile, {startNs, bucketNs, count, split, phaseA, phaseB, capped, capBytes})
// Every node under a frame whose name starts with phaseA goes to buckets [0, split), under
// phaseB to [split, count); the other nodes of an instance spread over the buckets its phases
// cover. Each value is split evenly (the remainder to the first buckets), so an instance's
// timed entries sum to its self list, as FlameJson's contract says.
'use strict';

const fs = require('fs');

const OPEN = '<script type="application/json" id="cprof-data">';

function decodeSparse(list) {
  const out = [];
  let node = 0;
  for (let k = 0; k < list.n.length; k++) {
    node += list.n[k];
    out.push([node, list.v[k]]);
  }
  return out;
}

/** FlameJson's "timed" encoding of [bucket, node, value] entries. */
function encodeTimed(entries) {
  entries.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const t = { b: [], n: [], v: [] };
  let bucket = 0, node = 0;
  entries.forEach(([b, n, v], k) => {
    if (k === 0 || b !== bucket) { node = 0; }
    t.b.push(k === 0 ? b : b - bucket);
    t.n.push(n - node);
    t.v.push(v);
    bucket = b;
    node = n;
  });
  return t;
}

/** Per node: 'A', 'B' or null, from the names of its frame and its ancestors'. */
function phases(data, o) {
  const N = data.nodes.depth.length + 1, phase = new Array(N).fill(null), last = [0];
  for (let i = 1; i < N; i++) {
    const d = data.nodes.depth[i - 1], name = data.frames.name[data.nodes.frame[i - 1]];
    const p = last[d - 1];
    last[d] = i;
    phase[i] = name.startsWith(o.phaseA) ? 'A' : name.startsWith(o.phaseB) ? 'B' : phase[p];
  }
  return phase;
}

function timeline(data, o) {
  const phase = phases(data, o);
  const windows = { A: [0, o.split], B: [o.split, o.count] };
  data.timeline = { startNs: o.startNs, bucketNs: o.bucketNs, count: o.count, capped: !!o.capped, capBytes: o.capBytes };
  for (const e of data.events) {
    e.timed = e.self.map((list) => {
      const self = decodeSparse(list);
      const seen = new Set(self.map(([n]) => phase[n]).filter((p) => p));
      const own = seen.size === 1 ? windows[[...seen][0]] : [0, o.count];
      const entries = [];
      for (const [n, v] of self) {
        const [from, to] = phase[n] ? windows[phase[n]] : own, k = to - from;
        const base = Math.floor(v / k), rest = v - base * k;
        for (let j = 0; j < k; j++) {
          const share = base + (j < rest ? 1 : 0);
          if (share !== 0) { entries.push([from + j, n, share]); }
        }
      }
      return encodeTimed(entries);
    });
  }
}

/** JSON as FlameJson writes it: safe inside a script element. */
function htmlSafe(json) {
  return json.replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

function inject(inFile, outFile, o) {
  const html = fs.readFileSync(inFile, 'utf8');
  const start = html.indexOf(OPEN) + OPEN.length, end = html.indexOf('</' + 'script>', start);
  const data = JSON.parse(html.substring(start, end));
  timeline(data, o);
  fs.writeFileSync(outFile, html.substring(0, start) + htmlSafe(JSON.stringify(data)) + html.substring(end));
}

module.exports = { inject };
