// cprof viewer, the page: its state, the controls (selectors, search, zoom, keyboard, resize),
// rendering and the window.cprof API for tests and scripts. Plain JavaScript, no dependencies,
// no network. Runs last inside HtmlWriter's wrapper (V: the namespace of the viewer's files).
(function () {
  'use strict';

  var D = V.D, N = V.N, F = V.F, events = V.events, instances = V.instances;
  var parent = V.parent, frame = V.frame, end = V.end, depth = V.depth, nameOf = V.nameOf, flame = V.flame;

  // ---- state ----
  var initial = D.initial || {};
  var state = V.state = {
    ev: initial.event >= 0 && initial.event < events.length ? initial.event : 0,
    inst: initial.instance >= 0 && initial.instance < instances.length ? initial.instance : -1,
    zoom: 0, cursor: 0, search: '', inverted: false,
    range: null   // [first, last] bucket, or null for the whole session
  };
  V.matchFrame = null;   // Uint8Array per frame, or null without a search
  var matchedValue = 0;

  // ---- elements ----
  var canvas = flame.canvas;
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
    var parts = [], group = V.group;
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
    var box = document.getElementById('legend'), CATEGORY = V.CATEGORY;
    if (events[0] && events[0].delta) { box.hidden = true; return; }
    var present = {};
    for (var i = 1; i < N; i++) { present[V.categoryOf(i)] = true; }
    V.CATEGORY_ORDER.forEach(function (k) {
      if (!present[k]) { return; }
      var item = document.createElement('span'), swatch = document.createElement('span');
      item.className = 'key';
      swatch.className = 'swatch';
      swatch.style.background = V.rgb(CATEGORY[k], 0.5);
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(CATEGORY[k][0]));
      box.appendChild(item);
      legend.push({ category: k, label: CATEGORY[k][0], color: V.rgb(CATEGORY[k], 0.5) });
    });
    box.hidden = legend.length === 0;
  })();

  // ---- search ----
  function applySearch() {
    var q = state.search;
    searchBox.classList.remove('invalid');
    if (!q) { V.matchFrame = null; return; }
    var test;
    try {
      var re = new RegExp(q);
      test = function (s) { return re.test(s); };
    } catch (err) {
      searchBox.classList.add('invalid');
      test = function (s) { return s.indexOf(q) >= 0; };
    }
    var m = V.matchFrame = new Uint8Array(F);
    for (var f = 0; f < F; f++) { if (test(V.displayName[f])) { m[f] = 1; } }
  }
  function computeMatched() {
    matchedValue = 0;
    var m = V.matchFrame;
    if (!m) { return; }
    var total = V.sel.total;
    // Sum matched frames that have no matched ancestor, so nested matches count once.
    for (var i = 1; i < N; i++) {
      if (m[frame[i]] && total[i] !== 0) { matchedValue += total[i]; i = end[i] - 1; }
    }
  }

  // ---- render ----
  function render() {
    var sel = V.sel = V.selection(state.ev, state.inst, state.range);
    if (state.zoom !== 0 && !(sel.total[state.zoom] > 0)) { state.zoom = 0; }
    if (!(sel.total[state.cursor] > 0) || depth[state.cursor] < depth[state.zoom]) { state.cursor = state.zoom; }
    computeMatched();
    flame.layout();
    var total = sel.total[0];
    emptyEl.hidden = total > 0;
    canvas.hidden = !(total > 0);
    flame.draw();
    V.heatmap.update();
    totalEl.textContent = 'Total: ' + V.fmtValue(total);
    if (V.matchFrame) {
      matchedEl.textContent = 'matched ' + (total > 0 ? (100 * matchedValue / total).toFixed(1) : '0.0') + '%';
      matchedEl.title = V.fmtValue(matchedValue) + ' of ' + V.fmtValue(total);
    } else {
      matchedEl.textContent = '';
      matchedEl.title = '';
    }
    document.getElementById('reset').disabled = state.zoom === 0;
  }

  // ---- tooltip and status line (the flame graph's and the heat map's) ----
  V.showTooltip = function (title, lines, e) {
    tooltip.textContent = '';
    var b = document.createElement('div');
    b.className = 'name';
    b.textContent = title;
    tooltip.appendChild(b);
    tooltip.appendChild(document.createTextNode(lines.join('\n')));
    tooltip.hidden = false;
    var tw = tooltip.offsetWidth, th = tooltip.offsetHeight;
    var left = e.clientX + 12, top = e.clientY + 14;
    if (left + tw > window.innerWidth - 4) { left = Math.max(4, e.clientX - tw - 12); }
    if (top + th > window.innerHeight - 4) { top = Math.max(4, e.clientY - th - 10); }
    tooltip.style.left = left + 'px';
    tooltip.style.top = top + 'px';
    status.textContent = title + ' \u2014 ' + lines[1];
  };
  V.hideTooltip = function () { tooltip.hidden = true; status.textContent = '\u00a0'; };

  // ---- events ----
  function nodeAt(e) {
    var rect = canvas.getBoundingClientRect();
    return flame.hit(e.clientX - rect.left, e.clientY - rect.top);
  }
  canvas.addEventListener('mousemove', function (e) {
    var node = nodeAt(e);
    if (node === null) { V.hideTooltip(); return; }
    V.showTooltip(nameOf(node), flame.tooltipText(node), e);
  });
  canvas.addEventListener('mouseleave', V.hideTooltip);
  canvas.addEventListener('click', function (e) {
    var node = nodeAt(e);
    if (node === null) { return; }
    zoom(node === state.zoom ? parent[node] : node);
  });
  document.getElementById('reset').addEventListener('click', function () { zoom(0); });
  document.getElementById('invert').addEventListener('click', function () { state.inverted = !state.inverted; render(); });
  evSelect.addEventListener('change', function () { state.ev = Number(evSelect.value); render(); });
  instSelect.addEventListener('change', function () { state.inst = Number(instSelect.value); render(); });
  searchBox.addEventListener('input', function () { state.search = searchBox.value; applySearch(); render(); });

  // Keys: Escape clears the search (in the box), else the zoom, else the time range; Ctrl+F
  // searches; the arrows move the outlined frame and Enter zooms into it.
  document.addEventListener('keydown', function (e) {
    var focus = (document.activeElement || {}).tagName || '', typing = /^(INPUT|SELECT|TEXTAREA)$/.test(focus);
    if (e.key === 'Escape') {
      if (document.activeElement === searchBox && searchBox.value) {
        searchBox.value = ''; state.search = ''; applySearch(); render();
      } else if (state.zoom !== 0 || !state.range) {
        zoom(0);
      } else {
        V.setRange(null);
      }
    } else if ((e.ctrlKey || e.metaKey) && e.key === 'f') {
      e.preventDefault();
      searchBox.focus();
      searchBox.select();
    } else if (!typing && /^Arrow(Up|Down|Left|Right)$/.test(e.key)) {
      e.preventDefault();
      state.cursor = flame.step(state.cursor, e.key);
      flame.draw();
      var d = flame.describe(state.cursor);
      status.textContent = d.name + ' \u2014 ' + flame.tooltipText(state.cursor)[1];
    } else if (!typing && focus !== 'BUTTON' && e.key === 'Enter') {
      zoom(state.cursor);
    }
  });
  // The page's width is read at every render: redraw when it changes (debounced).
  var resizeTimer = 0;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(render, 50);
  });

  function zoom(node) {
    state.zoom = node < 0 ? 0 : node;
    state.cursor = state.zoom;
    tooltip.hidden = true;
    render();
  }
  V.setRange = function (range) {
    var T = V.timeline;
    if (range && T) {
      var lo = Math.max(0, Math.min(range[0], range[1])), hi = Math.min(T.count - 1, Math.max(range[0], range[1]));
      state.range = lo === 0 && hi === T.count - 1 ? null : [lo, hi];
    } else {
      state.range = null;
    }
    render();
  };
  V.selectInstance = function (inst) {
    state.inst = inst >= 0 && inst < instances.length ? inst : -1;
    instSelect.value = String(state.inst);
    render();
  };

  // ---- the API for tests and scripts ----
  window.cprof = {
    data: D,
    nodeCount: N,
    state: function () {
      var total = V.sel.total[0], view = flame.view;
      return {
        event: events[state.ev] ? events[state.ev].name : null,
        unit: events[state.ev] ? events[state.ev].unit : null,
        instance: state.inst,
        instanceLabel: state.inst < 0 ? 'all' : instances[state.inst],
        zoom: state.zoom, zoomName: nameOf(state.zoom), cursor: state.cursor, cursorName: nameOf(state.cursor),
        total: total, totalText: totalEl.textContent,
        search: state.search, matched: total > 0 ? matchedValue / total : 0, matchedText: matchedEl.textContent,
        inverted: state.inverted, drawn: view.drawn, highlighted: view.highlighted,
        width: view.width, height: flame.height(),
        range: state.range ? state.range.slice() : null,
        rangeText: V.heatmap.shown ? document.getElementById('range').textContent : null,
        lost: lost, unwalked: unwalked, info: document.getElementById('info').textContent
      };
    },
    /** The colour legend: [{category, label, color}], in drawing order; empty in a diff. */
    legend: function () { return legend.slice(); },
    /** The heat map: {shown, rows (labels, fleet first), count, bucketNs, startNs, capped, cells}. */
    heatmap: function () { return V.heatmap.describe(); },
    frameAt: function (clientX, clientY) {
      var rect = canvas.getBoundingClientRect();
      return flame.describe(flame.hit(clientX - rect.left, clientY - rect.top));
    },
    /** Drawn frames whose displayed name equals name, left to right, bottom up. */
    find: function (name) {
      return flame.drawnWhere(function (node) { return nameOf(node) === name; }).map(flame.describe);
    },
    /** The drawn children of the shown root (the zoomed frame), widest first. */
    top: function () {
      return flame.drawnWhere(function (node) { return parent[node] === state.zoom; }).map(flame.describe)
          .sort(function (a, b) { return b.value - a.value; });
    },
    zoom: function (node) { zoom(node); },
    reset: function () { zoom(0); },
    range: function (first, last) { V.setRange(first === null || first === undefined ? null : [first, last]); },
    select: function (ev, inst) {
      state.ev = ev; state.inst = inst;
      evSelect.value = String(ev); instSelect.value = String(inst);
      render();
    }
  };

  render();
})();
