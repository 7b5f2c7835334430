// cprof viewer, the data: decodes the embedded JSON (described in FlameJson.java) into the
// tree and answers "self and total per node" for an (event, instance, bucket range).
// Runs inside HtmlWriter's wrapper, which defines V, the namespace the viewer's files share.
// No file of the viewer may contain a less-than sign followed by a slash: they are inlined
// into a script element.
(function () {
  'use strict';

  var D = JSON.parse(document.getElementById('cprof-data').textContent);
  var KIND = ['unknown', 'java', 'native', 'kernel', 'python', 'pseudo'];  // FrameKind numbers
  var TYPE = ['', 'interpreted', 'c1', 'jit', 'inlined', 'stub'];          // FrameType numbers

  // ---- the tree: nodes in preorder, children sorted by name; node 0 is the root ----
  var N = D.nodes.depth.length + 1;
  var parent = new Int32Array(N), depth = new Int32Array(N), frame = new Int32Array(N), end = new Int32Array(N);
  parent[0] = -1; frame[0] = -1;
  (function () {
    var last = [0];
    for (var i = 1; i < N; i++) {
      var d = D.nodes.depth[i - 1];
      depth[i] = d;
      frame[i] = D.nodes.frame[i - 1];
      parent[i] = last[d - 1];
      last[d] = i;
    }
    // end[i]: first node after i's subtree (subtrees are contiguous in preorder).
    var open = [];
    for (var j = 0; j < N; j++) {
      while (open.length && depth[open[open.length - 1]] >= depth[j]) { end[open.pop()] = j; }
      open.push(j);
    }
    while (open.length) { end[open.pop()] = N; }
  })();

  var F = D.frames.name.length;
  var displayName = new Array(F);
  for (var f = 0; f < F; f++) {
    var line = D.frames.line ? D.frames.line[f] : 0;
    displayName[f] = line > 0 ? D.frames.name[f] + ':' + line : D.frames.name[f];
  }
  function nameOf(node) { return node === 0 ? 'all' : displayName[frame[node]]; }
  function kindOf(node) { return node === 0 ? 'pseudo' : (KIND[D.frames.kind[frame[node]]] || 'unknown'); }
  function typeOf(node) { return node === 0 || !D.frames.type ? '' : (TYPE[D.frames.type[frame[node]]] || ''); }

  var events = D.events;
  var instances = D.instances;

  function sparse(list, into, sign) {
    var node = 0;
    for (var k = 0; k < list.n.length; k++) {
      node += list.n[k];
      into[node] += sign * list.v[k];
    }
  }
  // cprof diff: per node the change of its self share in NEW's units, over all instances.
  // Summed over subtrees it is the change of each frame's total share: in pp, what colours.
  function diffOf(dd) {
    var dself = new Float64Array(N);
    sparse(dd, dself, 1);
    var dtotal = Float64Array.from(dself);
    for (var m = N - 1; m > 0; m--) { dtotal[parent[m]] += dtotal[m]; }
    var fresh = new Uint8Array(N), node = 0;
    for (var k = 0; k < dd.fresh.length; k++) { node += dd.fresh[k]; fresh[node] = 1; }
    for (var i = 0; i < N; i++) {
      dself[i] = dd.total > 0 ? 100 * dself[i] / dd.total : 0;
      dtotal[i] = dd.total > 0 ? 100 * dtotal[i] / dd.total : 0;
    }
    return { selfPp: dself, totalPp: dtotal, fresh: fresh, fullPp: dd.fullPp };
  }

  // ---- the timeline: per event and instance, self values per time bucket ----
  var T = D.timeline && D.timeline.count > 0 ? D.timeline : null;
  // Decoded "timed" lists of one event (the one shown: they can be large), per instance:
  // {node: Int32Array, value: Float64Array, at: Int32Array(count + 1)} where the entries of
  // bucket b are at[b] .. at[b + 1] - 1; and the heat map's rows, the sums per bucket.
  var timedEv = -1, timed = null, heatRows = null;
  function decodeTimed(ev) {
    if (timedEv === ev) { return timed; }
    timedEv = ev;
    timed = null;
    heatRows = null;
    var lists = T && events[ev] && events[ev].timed;
    if (!lists) { return null; }
    timed = [];
    heatRows = [];
    for (var i = 0; i < instances.length; i++) {
      var l = lists[i] || { b: [], n: [], v: [] }, len = l.b.length;
      var node = new Int32Array(len), value = new Float64Array(len), at = new Int32Array(T.count + 1);
      var sums = new Float64Array(T.count);
      var bucket = 0, id = 0, last = -1;
      for (var k = 0; k < len; k++) {
        bucket += l.b[k];
        // Node ids restart from 0 in every bucket; bad data must not index out of bounds.
        if (bucket !== last) { id = 0; last = bucket; }
        id += l.n[k];
        if (bucket >= T.count || id >= N) { continue; }
        node[k] = id;
        value[k] = l.v[k];
        at[bucket + 1] = k + 1;
        sums[bucket] += l.v[k];
      }
      // Buckets without entries start where the previous one ended.
      for (var b = 1; b <= T.count; b++) { if (at[b] < at[b - 1]) { at[b] = at[b - 1]; } }
      timed.push({ node: node, value: value, at: at });
      heatRows.push(sums);
    }
    return timed;
  }

  // ---- selections: (event, instance, range) -> self and total per node ----
  var cache = {};
  function selection(ev, inst, range) {
    var key = ev + '/' + inst + '/' + (range ? range[0] + '-' + range[1] : '');
    if (cache[key]) { return cache[key]; }
    var self = new Float64Array(N);
    var e = events[ev], lists = range ? decodeTimed(ev) : null;
    for (var i = 0; e && i < instances.length; i++) {
      if (inst >= 0 && inst !== i) { continue; }
      if (lists) {
        var t = lists[i];
        for (var k = t.at[range[0]], stop = t.at[range[1] + 1]; k < stop; k++) { self[t.node[k]] += t.value[k]; }
      } else if (e.self[i]) {
        sparse(e.self[i], self, 1);
      }
    }
    var total = Float64Array.from(self);
    for (var n = N - 1; n > 0; n--) { total[parent[n]] += total[n]; }
    var sel = { self: self, total: total, delta: e && e.delta ? diffOf(e.delta) : null };
    cache = {};  // keep one selection: the arrays are large for big profiles
    cache[key] = sel;
    return sel;
  }

  /** The heat map's values of event ev: one Float64Array per instance, or null without a timeline. */
  function heat(ev) {
    decodeTimed(ev);
    return heatRows;
  }

  V.D = D;
  V.N = N;
  V.F = F;
  V.parent = parent;
  V.depth = depth;
  V.frame = frame;
  V.end = end;
  V.displayName = displayName;
  V.nameOf = nameOf;
  V.kindOf = kindOf;
  V.typeOf = typeOf;
  V.events = events;
  V.instances = instances;
  V.timeline = T;
  V.selection = selection;
  V.heat = heat;
})();
