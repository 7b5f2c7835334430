// cprof viewer, the flame graph: lays out the selection (V.sel) on the canvas, draws it, and
// finds the frame under a point. Runs inside HtmlWriter's wrapper (V: the shared namespace).
(function () {
  'use strict';

  var FH = 16;            // frame height in CSS pixels
  var MIN_WIDTH = 0.5;    // frames narrower than this are not drawn
  var canvas = document.getElementById('flame');
  var ctx = canvas.getContext('2d');
  var N = V.N, parent = V.parent, depth = V.depth, frame = V.frame, end = V.end, nameOf = V.nameOf;

  var cursor = new Float64Array(N);
  var rows = [];     // rows[depth] = [node, x, w, node, x, w, ...] of drawn frames, left to right
  var view = { width: 0, maxDepth: 0, baseDepth: 0, drawn: 0, highlighted: 0 };

  function yOf(d) { return V.state.inverted ? d * FH : (view.maxDepth - d) * FH; }
  function matched(node) { return !!(V.matchFrame && node !== 0 && V.matchFrame[frame[node]]); }
  function colorOf(node) {
    if (matched(node)) { return '#ee00ee'; }
    return V.sel.delta ? V.diffColor(node, V.sel.delta) : V.typeColor(node);
  }

  /** The width the chart has now: the page's, less the chart's padding (read at every render). */
  function chartWidth() { return Math.max(100, canvas.parentNode.clientWidth - 20); }

  function layout() {
    var z = V.state.zoom, total = V.sel.total;
    view.width = chartWidth();
    rows = [];
    view.drawn = 0;
    var base = total[z];
    if (base <= 0) { view.maxDepth = 0; return; }
    var scale = view.width / base;
    view.baseDepth = depth[z];
    view.maxDepth = view.baseDepth;
    // The zoomed frame and its ancestors span the full width.
    for (var a = z; a >= 0; a = parent[a]) { push(a, 0, view.width); }
    cursor[z] = 0;
    var stop = end[z];
    for (var i = z + 1; i < stop; i++) {
      var t = total[i];
      var p = parent[i];
      var x = cursor[p];
      cursor[p] = x + t;
      cursor[i] = x;
      if (t * scale >= MIN_WIDTH) {
        push(i, x * scale, t * scale);
        if (depth[i] > view.maxDepth) { view.maxDepth = depth[i]; }
      }
    }
    for (var r = 0; r < rows.length; r++) { if (!rows[r]) { rows[r] = []; } }
  }
  function push(node, x, w) {
    var d = depth[node];
    (rows[d] || (rows[d] = [])).push(node, x, w);
    view.drawn++;
  }

  function draw() {
    var dpr = window.devicePixelRatio || 1;
    var width = view.width, height = (view.maxDepth + 1) * FH;
    canvas.style.height = height + 'px';
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.font = '12px Verdana, "DejaVu Sans", Arial, sans-serif';
    ctx.textBaseline = 'middle';
    view.highlighted = 0;
    var ellipsisWidth = ctx.measureText('..').width;
    for (var d = 0; d < rows.length; d++) {
      var row = rows[d], y = yOf(d);
      var dim = d < view.baseDepth;
      for (var k = 0; k < row.length; k += 3) {
        var node = row[k], x = row[k + 1], w = row[k + 2];
        if (matched(node)) { view.highlighted++; }
        ctx.globalAlpha = dim ? 0.55 : 1;
        ctx.fillStyle = colorOf(node);
        ctx.fillRect(x, y, Math.max(w - (w > 2 ? 0.5 : 0), 0.5), FH - 1);
        ctx.globalAlpha = 1;
        if (w > 24) { label(nameOf(node), x + 3, y + FH / 2, w - 6, ellipsisWidth); }
      }
    }
    // The keyboard's frame: an outline (arrow keys move it, Enter zooms into it).
    var c = find(V.state.cursor);
    if (c && V.state.cursor !== V.state.zoom) {
      ctx.strokeStyle = '#000';
      ctx.lineWidth = 2;
      ctx.strokeRect(c.x + 1, yOf(depth[V.state.cursor]) + 1, Math.max(c.w - 2, 1), FH - 3);
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

  /** Where node is drawn: {x, w, k} (k its index in its row), or null when it is not drawn. */
  function find(node) {
    if (node === null || node === undefined || node < 0) { return null; }
    var row = rows[depth[node]] || [];
    for (var k = 0; k < row.length; k += 3) { if (row[k] === node) { return { x: row[k + 1], w: row[k + 2], k: k }; } }
    return null;
  }

  // ---- hit testing ----
  function hit(localX, localY) {
    if (localX < 0 || localX > view.width || localY < 0) { return null; }
    var r = Math.floor(localY / FH);
    var d = V.state.inverted ? r : view.maxDepth - r;
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
    var d = depth[node], at = find(node);
    var rect = canvas.getBoundingClientRect();
    var sel = V.sel, total = sel.total[0];
    return {
      node: node, name: nameOf(node), kind: V.kindOf(node), type: V.typeText(node), category: node === 0 ? null : V.categoryOf(node),
      color: colorOf(node), depth: d,
      value: sel.total[node], self: sel.self[node], percent: total > 0 ? 100 * sel.total[node] / total : 0,
      drawn: !!at, x: rect.left + (at ? at.x : 0), y: rect.top + yOf(d), width: at ? at.w : 0, height: FH - 1,
      highlighted: matched(node)
    };
  }
  function tooltipText(node) {
    var sel = V.sel, z = V.state.zoom, total = sel.total[0], t = sel.total[node], s = sel.self[node];
    var lines = [V.typeText(node), V.fmtValue(t) + ', ' + V.pct(t, total) + ' of total'];
    if (z !== 0 && node !== z && depth[node] > depth[z]) {
      lines[1] += ', ' + V.pct(t, sel.total[z]) + ' of zoomed frame';
    }
    lines.push('self: ' + V.fmtValue(s) + ', ' + V.pct(s, total));
    if (sel.delta) {
      lines.push('\u0394 total ' + V.signedPp(node === 0 ? 0 : sel.delta.totalPp[node]) + ', \u0394 self ' + V.signedPp(sel.delta.selfPp[node])
          + ' (share of NEW minus share of BASE)' + (sel.delta.fresh[node] ? ', not in BASE' : ''));
    }
    return lines;
  }

  /**
   * The drawn frame the arrow key moves to from node: its parent or widest drawn child (up and
   * down as the picture shows them, so they swap in the icicle), or its neighbour in the row.
   */
  function step(node, key) {
    var up = V.state.inverted ? 'ArrowDown' : 'ArrowUp', down = V.state.inverted ? 'ArrowUp' : 'ArrowDown';
    if (key === down) { return node > 0 && find(parent[node]) ? parent[node] : node; }
    if (key === up) {
      var row = rows[depth[node] + 1] || [], best = node, widest = 0;
      for (var k = 0; k < row.length; k += 3) {
        if (parent[row[k]] === node && row[k + 2] > widest) { best = row[k]; widest = row[k + 2]; }
      }
      return best;
    }
    var at = find(node), r = rows[depth[node]];
    if (!at) { return V.state.zoom; }
    if (key === 'ArrowLeft' && at.k >= 3) { return r[at.k - 3]; }
    if (key === 'ArrowRight' && at.k + 3 < r.length) { return r[at.k + 3]; }
    return node;
  }

  V.flame = {
    canvas: canvas, view: view, layout: layout, draw: draw, hit: hit, describe: describe, tooltipText: tooltipText,
    step: step, chartWidth: chartWidth, height: function () { return (view.maxDepth + 1) * FH; },
    /** Drawn frames, in rows bottom up and left to right, for which keep(node) holds. */
    drawnWhere: function (keep) {
      var out = [];
      for (var d = 0; d < rows.length; d++) {
        for (var k = 0; k < rows[d].length; k += 3) { if (keep(rows[d][k])) { out.push(rows[d][k]); } }
      }
      return out;
    }
  };
})();
