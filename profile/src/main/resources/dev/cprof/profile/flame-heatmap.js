// cprof viewer, the heat map above the flame graph: one row for the fleet and one per
// instance, one column per time bucket, coloured by the shown event's value. Dragging across
// it selects a bucket range (the flame graph then shows that range), clicking a row selects
// its instance. Runs inside HtmlWriter's wrapper (V: the shared namespace).
(function () {
  'use strict';

  var T = V.timeline;
  var box = document.getElementById('timeline');
  var canvas = document.getElementById('heat');
  var ctx = canvas.getContext('2d');
  var rangeEl = document.getElementById('range');
  var clearButton = document.getElementById('clear-range');
  var AXIS = 16;         // the time axis under the rows, in CSS pixels
  var FLEET_GAP = 3;     // space between the fleet's row and the instances'
  var DRAG = 4;          // a press that moves less than this many pixels is a click
  var g = { width: 0, gutter: 0, fleetHeight: 0, rowHeight: 0, rows: 0, cell: 0, height: 0 };
  var drag = null;       // {x, bucket, range} while the mouse is down on the map

  /** Shown when there is a timeline worth a map: more than one bucket. */
  var shown = !!(T && T.count > 1);
  box.hidden = !shown;

  function instanceOfRow(r) { return r - 1; }          // row 0 is the fleet (-1)
  function rowTop(r) { return r === 0 ? 0 : g.fleetHeight + FLEET_GAP + (r - 1) * g.rowHeight; }
  function rowHeight(r) { return r === 0 ? g.fleetHeight : g.rowHeight; }
  function rowLabel(r) {
    return r === 0 ? 'fleet (' + V.instances.length + (V.instances.length === 1 ? ' instance)' : ' instances)') : V.instances[r - 1];
  }
  function bucketStart(b) { return T.startNs + b * T.bucketNs; }
  var withMs = T ? T.bucketNs % 1e9 !== 0 : false;

  function geometry() {
    g.width = V.flame.chartWidth();
    g.rows = V.instances.length + 1;
    g.gutter = Math.round(Math.min(220, Math.max(80, g.width * 0.18)));
    // Rows shrink for big fleets so the map stays a strip, not a page.
    // The fleet's row keeps its label.
    g.rowHeight = g.rows <= 16 ? 14 : Math.max(3, Math.floor(240 / g.rows));
    g.fleetHeight = Math.max(14, g.rowHeight);
    g.cell = (g.width - g.gutter) / T.count;
    g.height = rowTop(g.rows - 1) + g.rowHeight + AXIS;
  }

  function draw() {
    if (!shown) { return; }
    geometry();
    var dpr = window.devicePixelRatio || 1;
    canvas.style.height = g.height + 'px';
    canvas.width = Math.round(g.width * dpr);
    canvas.height = Math.round(g.height * dpr);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, g.width, g.height);
    ctx.font = '11px Verdana, "DejaVu Sans", Arial, sans-serif';
    ctx.textBaseline = 'middle';
    var heat = V.heat(V.state.ev), fleet = fleetRow(heat);
    var instMax = 0;
    if (heat) { heat.forEach(function (row) { for (var b = 0; b < T.count; b++) { instMax = Math.max(instMax, row[b]); } }); }
    var fleetMax = 0;
    for (var b = 0; b < T.count; b++) { fleetMax = Math.max(fleetMax, fleet[b]); }
    for (var r = 0; r < g.rows; r++) {
      var values = r === 0 ? fleet : heat ? heat[r - 1] : null, max = r === 0 ? fleetMax : instMax, y = rowTop(r), h = rowHeight(r);
      for (var c = 0; c < T.count; c++) {
        ctx.fillStyle = values && max > 0 ? V.heatColor(values[c] / max) : V.HEAT_EMPTY;
        // Columns narrower than a pixel still leave a mark; gaps only where there is room.
        ctx.fillRect(g.gutter + c * g.cell, y, Math.max(g.cell - (g.cell > 4 ? 1 : 0), 1), h - (h > 6 ? 1 : 0));
      }
      if (h >= 10) {
        ctx.fillStyle = instanceOfRow(r) === V.state.inst ? '#000' : '#444';
        ctx.font = (instanceOfRow(r) === V.state.inst ? 'bold ' : '') + '11px Verdana, "DejaVu Sans", Arial, sans-serif';
        fit(rowLabel(r), 2, y + h / 2, g.gutter - 8);
      }
    }
    if (g.rowHeight < 10) {
      // Rows too thin for names: the tooltip gives them.
      ctx.fillStyle = '#444';
      ctx.font = '11px Verdana, "DejaVu Sans", Arial, sans-serif';
      fit(V.instances.length + ' instances (hover for names)', 2, rowTop(1) + (g.rows - 1) * g.rowHeight / 2, g.gutter - 8);
    }
    // The selected instance: a frame around its row.
    var sr = V.state.inst + 1;
    ctx.strokeStyle = '#1a4fd0';
    ctx.lineWidth = 2;
    ctx.strokeRect(g.gutter - 1, rowTop(sr) - 1, g.width - g.gutter + 1, rowHeight(sr) + 1);
    axis();
    var range = drag && drag.range ? drag.range : V.state.range;
    if (range) {
      var x0 = g.gutter + range[0] * g.cell, x1 = g.gutter + (range[1] + 1) * g.cell, bottom = g.height - AXIS;
      // Buckets outside the range fade, so the range reads at a glance whatever its colours.
      ctx.fillStyle = 'rgba(255,255,255,0.6)';
      ctx.fillRect(g.gutter, 0, x0 - g.gutter, bottom);
      ctx.fillRect(x1, 0, g.width - x1, bottom);
      ctx.strokeStyle = 'rgba(20,60,190,0.9)';
      ctx.lineWidth = 1.5;
      ctx.strokeRect(x0 + 0.75, 0.75, Math.max(x1 - x0 - 1.5, 1), bottom - 1.5);
    }
  }

  function fleetRow(heat) {
    var sum = new Float64Array(T.count);
    if (heat) { heat.forEach(function (row) { for (var b = 0; b < T.count; b++) { sum[b] += row[b]; } }); }
    return sum;
  }

  function fit(text, x, y, room) {
    var n = text.length;
    while (n > 0 && ctx.measureText(n < text.length ? text.substring(0, n) + '..' : text).width > room) { n--; }
    if (n > 0) { ctx.fillText(n < text.length ? text.substring(0, n) + '..' : text, x, y); }
  }

  // Ticks at a round number of buckets, far enough apart for "12:03:10".
  function axis() {
    var y = g.height - AXIS / 2, steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];
    var step = steps[steps.length - 1];
    for (var i = 0; i < steps.length; i++) { if (steps[i] * g.cell >= (withMs ? 100 : 70)) { step = steps[i]; break; } }
    ctx.fillStyle = '#555';
    ctx.font = '10px Verdana, "DejaVu Sans", Arial, sans-serif';
    ctx.fillText('UTC', 2, y);
    for (var b = 0; b < T.count; b += step) {
      var x = g.gutter + b * g.cell;
      ctx.fillRect(x, g.height - AXIS, 1, 3);
      if (x + 60 < g.width) { ctx.fillText(V.clock(bucketStart(b), withMs), x + 2, y); }
    }
  }

  /** {row, bucket} under a point of the canvas (bucket clamped to the map; -1 left of it). */
  function at(localX, localY) {
    var row = -1;
    for (var r = 0; r < g.rows; r++) { if (localY >= rowTop(r) && localY < rowTop(r) + rowHeight(r)) { row = r; break; } }
    var bucket = localX < g.gutter ? -1 : Math.min(T.count - 1, Math.max(0, Math.floor((localX - g.gutter) / g.cell)));
    return { row: row, bucket: bucket };
  }
  function local(e) {
    var rect = canvas.getBoundingClientRect();
    return { x: e.clientX - rect.left, y: e.clientY - rect.top };
  }

  /** The selected range in words: "12:03:11 – 12:03:19 UTC (8 s)". */
  function rangeText(range) {
    if (!range) { return 'whole session'; }
    return V.clock(bucketStart(range[0]), withMs) + ' \u2013 ' + V.clock(bucketStart(range[1] + 1), withMs) + ' UTC ('
        + V.duration((range[1] - range[0] + 1) * T.bucketNs) + ')';
  }
  function update() {
    if (!shown) { return; }
    // An event without "timed" lists has no buckets to pick from: drawn whole, and said so.
    var untimed = V.state.range && !V.heat(V.state.ev);
    rangeEl.textContent = 'Range: ' + rangeText(V.state.range) + (untimed ? ' (this event has no time buckets: whole session shown)' : '');
    clearButton.disabled = !V.state.range;
    draw();
  }

  if (shown) {
    var summary = 'Timeline ' + V.date(T.startNs) + ' ' + V.clock(T.startNs, withMs) + ' UTC, ' + T.count + ' buckets of '
        + V.duration(T.bucketNs) + ' \u00b7 drag to pick a range, click a row to pick an instance';
    document.getElementById('timeline-info').textContent = summary;
    var capped = document.getElementById('capped');
    if (T.capped) {
      capped.hidden = false;
      capped.textContent = 'capped: buckets coarsened to ' + V.duration(T.bucketNs) + ' to keep the file under '
          + (T.capBytes >= 1048576 ? Math.round(T.capBytes / 1048576) + ' MB' : V.group(T.capBytes) + ' bytes');
    }
    clearButton.addEventListener('click', function () { V.setRange(null); });
    canvas.addEventListener('mousedown', function (e) {
      if (e.button !== 0) { return; }
      var p = local(e), h = at(p.x, p.y);
      drag = { x: p.x, row: h.row, bucket: Math.max(0, h.bucket), range: null };
      e.preventDefault();
    });
    window.addEventListener('mousemove', function (e) {
      if (!drag) { return; }
      var p = local(e);
      if (!drag.range && Math.abs(p.x - drag.x) < DRAG) { return; }
      var b = at(p.x, p.y).bucket;
      b = b < 0 ? 0 : b;
      drag.range = [Math.min(drag.bucket, b), Math.max(drag.bucket, b)];
      rangeEl.textContent = 'Range: ' + rangeText(drag.range);
      draw();
    });
    window.addEventListener('mouseup', function () {
      if (!drag) { return; }
      var d = drag;
      drag = null;
      if (d.range) {
        V.setRange(d.range);
      } else if (d.row >= 0) {
        V.selectInstance(instanceOfRow(d.row));
      }
    });
    canvas.addEventListener('mousemove', function (e) {
      if (drag) { return; }
      var p = local(e), h = at(p.x, p.y);
      if (h.row < 0 || h.bucket < 0) { V.hideTooltip(); return; }
      var heat = V.heat(V.state.ev), v = 0;
      if (heat) {
        if (h.row === 0) { heat.forEach(function (row) { v += row[h.bucket]; }); } else { v = heat[h.row - 1][h.bucket]; }
      }
      V.showTooltip(rowLabel(h.row), [rangeText([h.bucket, h.bucket]), V.shortValue(v)], e);
    });
    canvas.addEventListener('mouseleave', function () { if (!drag) { V.hideTooltip(); } });
  }

  V.heatmap = {
    shown: shown, update: update, rangeText: rangeText,
    /** For tests: what the map shows (labels and values per row, fleet first) and where its rows are on the page. */
    describe: function () {
      if (!shown) { return { shown: false }; }
      var rect = canvas.getBoundingClientRect(), heat = V.heat(V.state.ev);
      var labels = [], values = [Array.from(fleetRow(heat))];
      for (var r = 0; r < g.rows; r++) { labels.push(rowLabel(r)); }
      if (heat) { heat.forEach(function (row) { values.push(Array.from(row)); }); }
      return {
        shown: !box.hidden, rows: labels, values: values, count: T.count, bucketNs: T.bucketNs, startNs: T.startNs, capped: !!T.capped,
        width: g.width, height: g.height,
        cells: labels.map(function (l, r) {
          return { x: rect.left + g.gutter, y: rect.top + rowTop(r), cell: g.cell, height: rowHeight(r) };
        })
      };
    }
  };
})();
