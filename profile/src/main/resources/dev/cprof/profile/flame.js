// cprof flame graph. Plain JavaScript, no dependencies, no network. The data format is
// described in FlameJson.java. This file must never contain a less-than sign followed by a
// slash: it is inlined into a script element.
(function () {
  'use strict';

  var D = JSON.parse(document.getElementById('cprof-data').textContent);
  var FH = 16;            // frame height in CSS pixels
  var MIN_WIDTH = 0.5;    // frames narrower than this are not drawn
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

  // ---- selections: (event, instance) -> self and total per node ----
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
  var cache = {};
  function selection(ev, inst) {
    var key = ev + '/' + inst;
    if (cache[key]) { return cache[key]; }
    var self = new Float64Array(N);
    var e = events[ev];
    if (e) {
      for (var i = 0; i < e.self.length; i++) {
        if (inst < 0 || inst === i) { sparse(e.self[i], self, 1); }
      }
    }
    var total = Float64Array.from(self);
    for (var n = N - 1; n > 0; n--) { total[parent[n]] += total[n]; }
    var sel = { self: self, total: total, delta: e && e.delta ? diffOf(e.delta) : null };
    cache = {};  // keep one selection: the arrays are large for big profiles
    cache[key] = sel;
    return sel;
  }

  // ---- state ----
  var initial = D.initial || {};
  var state = {
    ev: initial.event >= 0 && initial.event < events.length ? initial.event : 0,
    inst: initial.instance >= 0 && initial.instance < instances.length ? initial.instance : -1,
    zoom: 0, search: '', inverted: false
  };
  var sel = null;
  var matchFrame = null;   // Uint8Array per frame, or null without a search
  var matchedValue = 0;

  // ---- formatting ----
  function group(n) {
    var s = String(Math.round(n)), neg = s.charAt(0) === '-';
    if (neg) { s = s.substring(1); }
    var out = '';
    while (s.length > 3) { out = ',' + s.substring(s.length - 3) + out; s = s.substring(0, s.length - 3); }
    return (neg ? '-' : '') + s + out;
  }
  function human(v, unit) {
    var a = Math.abs(v);
    if (unit === 'bytes') {
      if (a >= 1073741824) { return (v / 1073741824).toFixed(2) + ' GiB'; }
      if (a >= 1048576) { return (v / 1048576).toFixed(2) + ' MiB'; }
      if (a >= 1024) { return (v / 1024).toFixed(1) + ' KiB'; }
      return group(v) + ' B';
    }
    if (unit === 'nanoseconds') {
      if (a >= 1e9) { return (v / 1e9).toFixed(2) + ' s'; }
      if (a >= 1e6) { return (v / 1e6).toFixed(2) + ' ms'; }
      if (a >= 1e3) { return (v / 1e3).toFixed(1) + ' \u00b5s'; }
      return group(v) + ' ns';
    }
    return null;
  }
  function fmtValue(v) {
    var e = events[state.ev];
    var unit = e ? e.unit : 'samples';
    var h = human(v, unit);
    return h ? h + ' (' + group(v) + ' ' + unit + ')' : group(v) + ' ' + unit;
  }
  function pct(v, of) { return of > 0 ? (100 * v / of).toFixed(2) + '%' : '0%'; }

  // ---- colours by frame type: the same rules and numbers as FlamePalette.java ----
  // async-profiler's palette (its flame.html): [legend, base colour, what the shade adds to r, g, b].
  var CATEGORY = {
    interpreted: ['Interpreted', 0xb2e1b2, 20, 20, 20], c1: ['Java compiled by C1', 0xcce880, 20, 20, 20],
    jit: ['Java compiled', 0x50e150, 30, 30, 30], inlined: ['Inlined', 0x50cccc, 30, 30, 30],
    cpp: ['C++ (VM)', 0xc8c83c, 30, 30, 10], native: ['Native', 0xe15a5a, 30, 40, 40], kernel: ['Kernel', 0xe17d00, 30, 30, 0],
    python: ['Python', 0x508ce6, 40, 50, 20], pseudo: ['Pseudo frame', 0xafafaf, 30, 30, 30], unknown: ['Unknown', 0xc8c8be, 20, 20, 20]
  };
  var CATEGORY_ORDER = ['interpreted', 'c1', 'jit', 'inlined', 'cpp', 'native', 'kernel', 'python', 'pseudo', 'unknown'];
  function categoryOf(node) {
    var kind = kindOf(node), type = typeOf(node);
    if (kind === 'java') { return type === 'interpreted' || type === 'c1' || type === 'inlined' ? type : 'jit'; }
    // Stubs are code the JVM generated, not C++: async-profiler draws them as native.
    if (kind === 'native') { return type !== 'stub' && nameOf(node).indexOf('::') >= 0 ? 'cpp' : 'native'; }
    return CATEGORY[kind] ? kind : 'unknown';
  }
  // The type in words, as FlamePalette.typeText says it.
  function typeText(node) {
    var kind = kindOf(node), type = typeOf(node);
    if (node === 0) { return 'the whole profile'; }
    if (kind === 'java') {
      return { interpreted: 'Java, interpreted', c1: 'Java, compiled by C1', jit: 'Java, JIT compiled', inlined: 'Java, inlined' }[type] || 'Java';
    }
    if (kind === 'native') { return type === 'stub' ? 'native, JVM stub' : 'native'; }
    return { kernel: 'kernel', python: 'Python', pseudo: 'pseudo frame' }[kind] || 'unknown';
  }
  function hashName(s) {
    var h = 0x811c9dc5;
    for (var i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 0x01000193); }
    return h >>> 0;
  }
  function rgb(c, v) {
    return 'rgb(' + ((c[1] >> 16) + Math.round(c[2] * v)) + ',' + (((c[1] >> 8) & 255) + Math.round(c[3] * v)) + ','
        + ((c[1] & 255) + Math.round(c[4] * v)) + ')';
  }
  var frameColor = new Array(F);
  function typeColor(node) {
    if (node === 0) { return 'rgb(190,190,190)'; }
    var f = frame[node], c = frameColor[f];
    if (!c) { c = frameColor[f] = rgb(CATEGORY[categoryOf(node)], (hashName(nameOf(node)) % 1000) / 1000); }
    return c;
  }
  // The same rule and numbers as FlamePalette.diffColor (and so DiffSvgWriter): the change of
  // the frame's total share, rounded to 1e-6 pp; full red for frames BASE never had.
  function diffRound(pp) { return Math.round(pp * 1e6) / 1e6; }
  function diffColor(node) {
    if (sel.delta.fresh[node]) { return 'rgb(255,60,60)'; }
    var d = node === 0 ? 0 : diffRound(sel.delta.totalPp[node]);
    if (Math.abs(d) < 0.005) { return 'rgb(235,235,235)'; }
    var r = Math.min(1, Math.abs(d) / sel.delta.fullPp), k = Math.round(235 - 175 * r);
    return d > 0 ? 'rgb(255,' + k + ',' + k + ')' : 'rgb(' + k + ',' + k + ',255)';
  }
  function signedPp(v) {
    var s = (v >= 0 ? '+' : '') + v.toFixed(2);
    return (s === '-0.00' ? '+0.00' : s) + 'pp';
  }
  function colorOf(node) {
    if (matchFrame && node !== 0 && matchFrame[frame[node]]) { return '#ee00ee'; }
    return sel.delta ? diffColor(node) : typeColor(node);
  }

  // ---- elements ----
  var canvas = document.getElementById('flame');
  var ctx = canvas.getContext('2d');
  var tooltip = document.getElementById('tooltip');
  var status = document.getElementById('status');
  var evSelect = document.getElementById('event');
  var instSelect = document.getElementById('instance');
  var searchBox = document.getElementById('search');
  var matchedEl = document.getElementById('matched');
  var totalEl = document.getElementById('total');
  var emptyEl = document.getElementById('empty');

  function option(select, value, text) {
    var o = document.createElement('option');
    o.value = String(value);
    o.textContent = text;
    select.appendChild(o);
  }
  events.forEach(function (e, i) { option(evSelect, i, e.name + ' (' + e.unit + ')'); });
  if (events.length > 1) { document.getElementById('event-box').hidden = false; }
  option(instSelect, -1, 'all instances (' + instances.length + ')');
  instances.forEach(function (label, i) { option(instSelect, i, label); });
  if (instances.length > 1) { document.getElementById('instance-box').hidden = false; }
  evSelect.value = String(state.ev);
  instSelect.value = String(state.inst);

  var dropped = (D.meta || {}).dropped || {};
  var lost = (dropped.bufferFull || 0) + (dropped.other || 0), unwalked = dropped.unwalkable || 0;
  (function info() {
    var parts = [];
    parts.push(instances.length + (instances.length === 1 ? ' instance' : ' instances'));
    parts.push(events.map(function (e) { return e.name; }).join(', ') || 'no events');
    var m = D.meta || {};
    if (m.startNs > 0 && m.endNs > m.startNs) {
      parts.push(new Date(m.startNs / 1e6).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC'));
      parts.push(((m.endNs - m.startNs) / 1e9).toFixed(1) + ' s');
    }
    // Lost samples are in no stack; unwalked ones are kept (under [unknown_Java] and the like).
    if (lost > 0) {
      parts.push(group(lost) + (lost === 1 ? ' sample' : ' samples') + ' lost (buffer full ' + group(dropped.bufferFull || 0)
          + ', other ' + group(dropped.other || 0) + ')');
    }
    if (unwalked > 0) { parts.push(group(unwalked) + ' unwalked (kept as pseudo frames)'); }
    parts.push(group(N - 1) + ' nodes');
    var dd = events[0] && events[0].delta;
    if (dd) {
      parts.push('diff: width NEW, colour the change of total share vs BASE: red grew, blue shrank (full at '
          + Math.round(dd.fullPp * 100) / 100 + 'pp), grey unchanged, full red not in BASE');
    }
    document.getElementById('info').textContent = parts.join(' \u00b7 ');
  })();

  // The colour legend: the frame types this profile has, in async-profiler's words (not in a diff).
  var legend = [];
  (function legendOf() {
    var box = document.getElementById('legend');
    if (events[0] && events[0].delta) { box.hidden = true; return; }
    var present = {};
    for (var i = 1; i < N; i++) { present[categoryOf(i)] = true; }
    CATEGORY_ORDER.forEach(function (k) {
      if (!present[k]) { return; }
      var item = document.createElement('span'), swatch = document.createElement('span');
      item.className = 'key';
      swatch.className = 'swatch';
      swatch.style.background = rgb(CATEGORY[k], 0.5);
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(CATEGORY[k][0]));
      box.appendChild(item);
      legend.push({ category: k, label: CATEGORY[k][0], color: rgb(CATEGORY[k], 0.5) });
    });
    box.hidden = legend.length === 0;
  })();

  // ---- layout and drawing ----
  var x0 = new Float64Array(N);
  var cursor = new Float64Array(N);
  var rows = [];     // rows[depth] = [node, x, w, node, x, w, ...] of drawn frames, left to right
  var cssWidth = 0, maxDepth = 0, baseDepth = 0, scale = 1, drawnCount = 0, highlightedCount = 0;

  function yOf(d) { return state.inverted ? d * FH : (maxDepth - d) * FH; }

  function layout() {
    var z = state.zoom, total = sel.total;
    cssWidth = Math.max(100, canvas.parentNode.clientWidth - 20);
    rows = [];
    drawnCount = 0;
    var base = total[z];
    if (base <= 0) { maxDepth = 0; return; }
    scale = cssWidth / base;
    baseDepth = depth[z];
    maxDepth = baseDepth;
    // The zoomed frame and its ancestors span the full width.
    for (var a = z; a >= 0; a = parent[a]) { push(a, 0, cssWidth); }
    x0[z] = 0;
    cursor[z] = 0;
    var stop = end[z];
    for (var i = z + 1; i < stop; i++) {
      var t = total[i];
      var p = parent[i];
      var x = cursor[p];
      cursor[p] = x + t;
      x0[i] = x;
      cursor[i] = x;
      if (t * scale >= MIN_WIDTH) {
        push(i, x * scale, t * scale);
        if (depth[i] > maxDepth) { maxDepth = depth[i]; }
      }
    }
    for (var r = 0; r < rows.length; r++) { if (!rows[r]) { rows[r] = []; } }
  }
  function push(node, x, w) {
    var d = depth[node];
    (rows[d] || (rows[d] = [])).push(node, x, w);
    drawnCount++;
  }

  function draw() {
    var dpr = window.devicePixelRatio || 1;
    var height = (maxDepth + 1) * FH;
    canvas.style.height = height + 'px';
    canvas.width = Math.round(cssWidth * dpr);
    canvas.height = Math.round(height * dpr);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, cssWidth, height);
    ctx.font = '12px Verdana, "DejaVu Sans", Arial, sans-serif';
    ctx.textBaseline = 'middle';
    highlightedCount = 0;
    var ellipsisWidth = ctx.measureText('..').width;
    for (var d = 0; d < rows.length; d++) {
      var row = rows[d], y = yOf(d);
      var dim = d < baseDepth;
      for (var k = 0; k < row.length; k += 3) {
        var node = row[k], x = row[k + 1], w = row[k + 2];
        var matched = matchFrame && node !== 0 && matchFrame[frame[node]];
        if (matched) { highlightedCount++; }
        ctx.globalAlpha = dim ? 0.55 : 1;
        ctx.fillStyle = colorOf(node);
        ctx.fillRect(x, y, Math.max(w - (w > 2 ? 0.5 : 0), 0.5), FH - 1);
        ctx.globalAlpha = 1;
        if (w > 24) { label(nameOf(node), x + 3, y + FH / 2, w - 6, ellipsisWidth); }
      }
    }
  }

  function label(text, x, y, room, ellipsisWidth) {
    ctx.fillStyle = '#000';
    var full = ctx.measureText(text).width;
    if (full <= room) { ctx.fillText(text, x, y); return; }
    if (room < ellipsisWidth + 8) { return; }
    var n = Math.floor(text.length * (room - ellipsisWidth) / full);
    while (n > 0 && ctx.measureText(text.substring(0, n)).width + ellipsisWidth > room) { n--; }
    if (n > 0) { ctx.fillText(text.substring(0, n) + '..', x, y); }
  }

  // ---- search ----
  function applySearch() {
    var q = state.search;
    searchBox.classList.remove('invalid');
    if (!q) { matchFrame = null; return; }
    var test;
    try {
      var re = new RegExp(q);
      test = function (s) { return re.test(s); };
    } catch (err) {
      searchBox.classList.add('invalid');
      test = function (s) { return s.indexOf(q) >= 0; };
    }
    matchFrame = new Uint8Array(F);
    for (var f = 0; f < F; f++) { if (test(displayName[f])) { matchFrame[f] = 1; } }
  }
  function computeMatched() {
    matchedValue = 0;
    if (!matchFrame) { return; }
    var total = sel.total;
    // Sum matched frames that have no matched ancestor, so nested matches count once.
    for (var i = 1; i < N; i++) {
      if (matchFrame[frame[i]] && total[i] !== 0) { matchedValue += total[i]; i = end[i] - 1; }
    }
  }

  // ---- render ----
  function render() {
    sel = selection(state.ev, state.inst);
    if (state.zoom !== 0 && !(sel.total[state.zoom] > 0)) { state.zoom = 0; }
    computeMatched();
    layout();
    var total = sel.total[0];
    emptyEl.hidden = total > 0;
    canvas.hidden = !(total > 0);
    draw();
    totalEl.textContent = 'Total: ' + fmtValue(total);
    if (matchFrame) {
      matchedEl.textContent = 'matched ' + (total > 0 ? (100 * matchedValue / total).toFixed(1) : '0.0') + '%';
      matchedEl.title = fmtValue(matchedValue) + ' of ' + fmtValue(total);
    } else {
      matchedEl.textContent = '';
      matchedEl.title = '';
    }
    document.getElementById('reset').disabled = state.zoom === 0;
  }

  // ---- hit testing ----
  function hit(localX, localY) {
    if (localX < 0 || localX > cssWidth || localY < 0) { return null; }
    var r = Math.floor(localY / FH);
    var d = state.inverted ? r : maxDepth - r;
    if (d < 0 || d >= rows.length) { return null; }
    var row = rows[d];
    var lo = 0, hi = row.length / 3 - 1;
    while (lo <= hi) {  // rows are sorted by x
      var mid = (lo + hi) >> 1, x = row[mid * 3 + 1], w = row[mid * 3 + 2];
      if (localX < x) { hi = mid - 1; } else if (localX >= x + w) { lo = mid + 1; } else { return row[mid * 3]; }
    }
    return null;
  }
  function describe(node) {
    if (node === null || node === undefined) { return null; }
    var d = depth[node], row = rows[d] || [], x = 0, w = 0, drawn = false;
    for (var k = 0; k < row.length; k += 3) { if (row[k] === node) { x = row[k + 1]; w = row[k + 2]; drawn = true; break; } }
    var rect = canvas.getBoundingClientRect();
    var total = sel.total[0];
    return {
      node: node, name: nameOf(node), kind: kindOf(node), type: typeText(node), category: node === 0 ? null : categoryOf(node),
      color: colorOf(node), depth: d,
      value: sel.total[node], self: sel.self[node], percent: total > 0 ? 100 * sel.total[node] / total : 0,
      drawn: drawn, x: rect.left + x, y: rect.top + yOf(d), width: w, height: FH - 1,
      highlighted: !!(matchFrame && node !== 0 && matchFrame[frame[node]])
    };
  }
  function tooltipText(node) {
    var total = sel.total[0], t = sel.total[node], s = sel.self[node];
    var lines = [typeText(node), fmtValue(t) + ', ' + pct(t, total) + ' of total'];
    if (state.zoom !== 0 && node !== state.zoom && depth[node] > depth[state.zoom]) {
      lines[1] += ', ' + pct(t, sel.total[state.zoom]) + ' of zoomed frame';
    }
    lines.push('self: ' + fmtValue(s) + ', ' + pct(s, total));
    if (sel.delta) {
      lines.push('\u0394 total ' + signedPp(node === 0 ? 0 : sel.delta.totalPp[node]) + ', \u0394 self ' + signedPp(sel.delta.selfPp[node])
          + ' (share of NEW minus share of BASE)' + (sel.delta.fresh[node] ? ', not in BASE' : ''));
    }
    return lines;
  }

  // ---- events ----
  canvas.addEventListener('mousemove', function (e) {
    var rect = canvas.getBoundingClientRect();
    var node = hit(e.clientX - rect.left, e.clientY - rect.top);
    if (node === null) { tooltip.hidden = true; status.textContent = '\u00a0'; return; }
    var lines = tooltipText(node);
    tooltip.textContent = '';
    var b = document.createElement('div');
    b.className = 'name';
    b.textContent = nameOf(node);
    tooltip.appendChild(b);
    tooltip.appendChild(document.createTextNode(lines.join('\n')));
    tooltip.hidden = false;
    var tw = tooltip.offsetWidth, th = tooltip.offsetHeight;
    var left = e.clientX + 12, top = e.clientY + 14;
    if (left + tw > window.innerWidth - 4) { left = Math.max(4, e.clientX - tw - 12); }
    if (top + th > window.innerHeight - 4) { top = Math.max(4, e.clientY - th - 10); }
    tooltip.style.left = left + 'px';
    tooltip.style.top = top + 'px';
    status.textContent = nameOf(node) + ' \u2014 ' + lines[1];
  });
  canvas.addEventListener('mouseleave', function () { tooltip.hidden = true; status.textContent = '\u00a0'; });
  canvas.addEventListener('click', function (e) {
    var rect = canvas.getBoundingClientRect();
    var node = hit(e.clientX - rect.left, e.clientY - rect.top);
    if (node === null) { return; }
    zoom(node === state.zoom ? parent[node] : node);
  });
  document.getElementById('reset').addEventListener('click', function () { zoom(0); });
  document.getElementById('invert').addEventListener('click', function () { state.inverted = !state.inverted; render(); });
  evSelect.addEventListener('change', function () { state.ev = Number(evSelect.value); render(); });
  instSelect.addEventListener('change', function () { state.inst = Number(instSelect.value); render(); });
  searchBox.addEventListener('input', function () { state.search = searchBox.value; applySearch(); render(); });
  document.addEventListener('keydown', function (e) {
    if (e.key === 'Escape') {
      if (document.activeElement === searchBox && searchBox.value) {
        searchBox.value = ''; state.search = ''; applySearch(); render();
      } else {
        zoom(0);
      }
    } else if ((e.ctrlKey || e.metaKey) && e.key === 'f') {
      e.preventDefault();
      searchBox.focus();
      searchBox.select();
    }
  });
  var resizeTimer = 0;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(render, 50);
  });

  function zoom(node) {
    state.zoom = node < 0 ? 0 : node;
    tooltip.hidden = true;
    render();
  }

  // ---- the API for tests and scripts ----
  window.cprof = {
    data: D,
    nodeCount: N,
    state: function () {
      var total = sel.total[0];
      return {
        event: events[state.ev] ? events[state.ev].name : null,
        unit: events[state.ev] ? events[state.ev].unit : null,
        instance: state.inst,
        instanceLabel: state.inst < 0 ? 'all' : instances[state.inst],
        zoom: state.zoom, zoomName: nameOf(state.zoom),
        total: total, totalText: totalEl.textContent,
        search: state.search, matched: total > 0 ? matchedValue / total : 0, matchedText: matchedEl.textContent,
        inverted: state.inverted, drawn: drawnCount, highlighted: highlightedCount,
        width: cssWidth, height: (maxDepth + 1) * FH,
        lost: lost, unwalked: unwalked, info: document.getElementById('info').textContent
      };
    },
    /** The colour legend: [{category, label, color}], in drawing order; empty in a diff. */
    legend: function () { return legend.slice(); },
    frameAt: function (clientX, clientY) {
      var rect = canvas.getBoundingClientRect();
      return describe(hit(clientX - rect.left, clientY - rect.top));
    },
    /** Drawn frames whose displayed name equals name, left to right, bottom up. */
    find: function (name) {
      var out = [];
      for (var d = 0; d < rows.length; d++) {
        var row = rows[d];
        for (var k = 0; k < row.length; k += 3) { if (nameOf(row[k]) === name) { out.push(describe(row[k])); } }
      }
      return out;
    },
    zoom: function (node) { zoom(node); },
    reset: function () { zoom(0); },
    select: function (ev, inst) {
      state.ev = ev; state.inst = inst;
      evSelect.value = String(ev); instSelect.value = String(inst);
      render();
    }
  };

  render();
})();
