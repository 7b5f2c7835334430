// cprof viewer, numbers and colours: value formatting, the frame-type palette (the same rules
// and numbers as FlamePalette.java, so the SVG and the page agree), the diff colours and the
// heat map's scale. Runs inside HtmlWriter's wrapper (V: the viewer's shared namespace).
(function () {
  'use strict';

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
  /** A value in the unit of the event shown: "1.50 MiB (1,572,864 bytes)" or "35 samples". */
  function fmtValue(v) {
    var e = V.events[V.state.ev];
    var unit = e ? e.unit : 'samples';
    var h = human(v, unit);
    return h ? h + ' (' + group(v) + ' ' + unit + ')' : group(v) + ' ' + unit;
  }
  /** The short form, for the heat map: "1.50 MiB" or "35 samples". */
  function shortValue(v) {
    var e = V.events[V.state.ev];
    var unit = e ? e.unit : 'samples';
    return human(v, unit) || group(v) + ' ' + unit;
  }
  function pct(v, of) { return of > 0 ? (100 * v / of).toFixed(2) + '%' : '0%'; }
  function signedPp(v) {
    var s = (v >= 0 ? '+' : '') + v.toFixed(2);
    return (s === '-0.00' ? '+0.00' : s) + 'pp';
  }
  function two(n) { return n < 10 ? '0' + n : String(n); }
  /** Wall-clock time in UTC of epoch nanoseconds: "12:03:10" (with ".250" when ms matter). */
  function clock(ns, withMs) {
    var d = new Date(Math.floor(ns / 1e6));
    var s = two(d.getUTCHours()) + ':' + two(d.getUTCMinutes()) + ':' + two(d.getUTCSeconds());
    return withMs ? s + '.' + String(1000 + d.getUTCMilliseconds()).substring(1) : s;
  }
  function date(ns) { return new Date(Math.floor(ns / 1e6)).toISOString().substring(0, 10); }
  /** A duration in ns, as people say it: "1 s", "250 ms", "2 min 30 s". */
  function duration(ns) {
    if (ns < 1e9) { return Math.round(ns / 1e6) + ' ms'; }
    var s = ns / 1e9;
    if (s < 120) { return (Math.round(s * 10) / 10) + ' s'; }
    var m = Math.floor(s / 60), rest = Math.round(s - 60 * m);
    return m + ' min' + (rest ? ' ' + rest + ' s' : '');
  }

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
    var kind = V.kindOf(node), type = V.typeOf(node);
    if (kind === 'java') { return type === 'interpreted' || type === 'c1' || type === 'inlined' ? type : 'jit'; }
    // Stubs are code the JVM generated, not C++: async-profiler draws them as native.
    if (kind === 'native') { return type !== 'stub' && V.nameOf(node).indexOf('::') >= 0 ? 'cpp' : 'native'; }
    return CATEGORY[kind] ? kind : 'unknown';
  }
  // The type in words, as FlamePalette.typeText says it.
  function typeText(node) {
    var kind = V.kindOf(node), type = V.typeOf(node);
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
  var frameColor = new Array(V.F);
  function typeColor(node) {
    if (node === 0) { return 'rgb(190,190,190)'; }
    var f = V.frame[node], c = frameColor[f];
    if (!c) { c = frameColor[f] = rgb(CATEGORY[categoryOf(node)], (hashName(V.nameOf(node)) % 1000) / 1000); }
    return c;
  }
  // The same rule and numbers as FlamePalette.diffColor (and so DiffSvgWriter): the change of
  // the frame's total share, rounded to 1e-6 pp; full red for frames BASE never had.
  function diffRound(pp) { return Math.round(pp * 1e6) / 1e6; }
  function diffColor(node, delta) {
    if (delta.fresh[node]) { return 'rgb(255,60,60)'; }
    var d = node === 0 ? 0 : diffRound(delta.totalPp[node]);
    if (Math.abs(d) < 0.005) { return 'rgb(235,235,235)'; }
    var r = Math.min(1, Math.abs(d) / delta.fullPp), k = Math.round(235 - 175 * r);
    return d > 0 ? 'rgb(255,' + k + ',' + k + ')' : 'rgb(' + k + ',' + k + ',255)';
  }

  // ---- the heat map's scale: empty is pale grey, then light yellow through orange to dark red ----
  var HEAT = [[255, 244, 196], [253, 174, 97], [215, 48, 39], [120, 0, 20]];
  var EMPTY = 'rgb(244,244,244)';
  /** The colour of share t (0..1] of a row group's largest bucket; 0 is empty. */
  function heatColor(t) {
    if (!(t > 0)) { return EMPTY; }
    // The square root lifts small buckets out of the pale end: a quiet instance still shows.
    var x = Math.sqrt(Math.min(1, t)) * (HEAT.length - 1), i = Math.min(HEAT.length - 2, Math.floor(x)), u = x - i;
    var a = HEAT[i], b = HEAT[i + 1];
    return 'rgb(' + Math.round(a[0] + (b[0] - a[0]) * u) + ',' + Math.round(a[1] + (b[1] - a[1]) * u) + ','
        + Math.round(a[2] + (b[2] - a[2]) * u) + ')';
  }

  V.group = group;
  V.fmtValue = fmtValue;
  V.shortValue = shortValue;
  V.pct = pct;
  V.signedPp = signedPp;
  V.clock = clock;
  V.date = date;
  V.duration = duration;
  V.CATEGORY = CATEGORY;
  V.CATEGORY_ORDER = CATEGORY_ORDER;
  V.categoryOf = categoryOf;
  V.typeText = typeText;
  V.rgb = rgb;
  V.typeColor = typeColor;
  V.diffColor = diffColor;
  V.heatColor = heatColor;
  V.HEAT_EMPTY = EMPTY;
})();
