// Drives the heat map of a cprof HTML flame graph in a real headless Chromium
// (HtmlTimelineBrowserTest runs it).
//   node heatmap-test.js PAGE.html SCREENSHOT.png SPEC_JSON
// SPEC_JSON: {"instances": labels, "total": the first event's total, "phaseA"/"phaseB": the
//             two phases' methods, "path": the frames from the root to phaseB's method,
//             "late": the instance that ran phase B only, "drag": [first, last] bucket inside
//             phase B, "rangeText": what the page says of that range, "capped": text or null,
//             "allocEvent": index of the bytes event,
//             "onlyMap": true to check the map (rows, colours, capped note) and stop there}
// Prints "OK ..." and exits 0, or prints "FAIL: reason" and exits 1.
'use strict';

const { check, withPage, pixel, run } = require('./browser');

const [htmlFile, screenshot, specJson] = process.argv.slice(2);
const spec = JSON.parse(specJson);

const EMPTY = [244, 244, 244];
const same = (a, b) => Math.abs(a[0] - b[0]) <= 1 && Math.abs(a[1] - b[1]) <= 1 && Math.abs(a[2] - b[2]) <= 1;
const sum = (values, from, to) => values.slice(from, to + 1).reduce((a, b) => a + b, 0);

run(() => withPage(htmlFile, async (page) => {
  const st = () => page.evaluate(() => window.cprof.state());
  const hm = () => page.evaluate(() => window.cprof.heatmap());
  const find = (name) => page.evaluate((n) => window.cprof.find(n), name);
  const cell = (h, row, bucket) => [h.cells[row].x + (bucket + 0.5) * h.cells[row].cell, h.cells[row].y + h.cells[row].height / 2];

  // A row for the fleet and one per instance, coloured where (and only where) there are samples.
  let h = await hm();
  check(h.shown && await page.isVisible('#heat'), 'heat map shown');
  check(h.rows.length === spec.instances.length + 1, 'rows ' + JSON.stringify(h.rows));
  check(JSON.stringify(h.rows.slice(1)) === JSON.stringify(spec.instances), 'one row per instance: ' + JSON.stringify(h.rows));
  check(sum(h.values[0], 0, h.count - 1) === spec.total, 'fleet row sums to ' + sum(h.values[0], 0, h.count - 1));
  for (let r = 0; r < h.rows.length; r++) {
    for (let b = 0; b < h.count; b++) {
      const px = await pixel(page, ...cell(h, r, b), 'heat');
      check(same(px, EMPTY) === (h.values[r][b] === 0), 'row ' + h.rows[r] + ' bucket ' + b + ': ' + px + ' for ' + h.values[r][b]);
    }
  }
  const late = spec.late + 1;
  check(h.values[late][0] === 0 && h.values[late][h.count - 1] > 0, h.rows[late] + ' ran phase B only');
  const capped = await page.isVisible('#capped');
  check(spec.capped ? capped && (await page.textContent('#capped')) === spec.capped : !capped, 'capped note: ' + await page.textContent('#capped'));
  const timelineInfo = await page.textContent('#timeline-info');
  check(timelineInfo.includes(h.count + ' buckets of'), 'timeline info: ' + timelineInfo);
  if (spec.onlyMap) {
    await page.screenshot({ path: screenshot, fullPage: true });
    return 'OK rows=' + h.rows.length + ' buckets=' + h.count + ' capped=' + capped;
  }

  // Dragging across phase B redraws the flame graph for that range: B's method on top, no A.
  let s = await st();
  check(s.range === null && s.total === spec.total, 'whole session first');
  let [x0, y] = cell(h, 1, spec.drag[0]);
  let [x1] = cell(h, 1, spec.drag[1]);
  await page.mouse.move(x0, y);
  await page.mouse.down();
  await page.mouse.move(x1, y, { steps: 6 });
  await page.mouse.up();
  s = await st();
  check(JSON.stringify(s.range) === JSON.stringify(spec.drag), 'range ' + JSON.stringify(s.range));
  check(s.instance === -1, 'a drag keeps the instance');
  check(s.rangeText === spec.rangeText && (await page.textContent('#range')) === spec.rangeText, 'range text ' + s.rangeText);
  check(!(await page.isDisabled('#clear-range')), 'clear enabled');
  const rangeTotal = sum(h.values[0], spec.drag[0], spec.drag[1]);
  check(s.total === rangeTotal, 'range total ' + s.total + ', the map says ' + rangeTotal);
  check((await find(spec.phaseA)).length === 0, spec.phaseA + ' not in phase B');
  const b = (await find(spec.phaseB))[0];
  check(b && b.drawn && b.value / s.total >= 0.9, spec.phaseB + ' share ' + (b && b.value / s.total));
  // Every frame drawn at B's depth, scanned across the canvas: B is the widest.
  const left = await page.evaluate(() => document.getElementById('flame').getBoundingClientRect().left);
  const siblings = await page.evaluate(([l, w, yy]) => {
    const out = [];
    for (let x = 1; x < w; x += 2) { const f = window.cprof.frameAt(l + x, yy); if (f) { out.push(f); } }
    return out;
  }, [left, s.width, b.y + 2]);
  const widest = siblings.reduce((m, f) => (f.width > m.width ? f : m), siblings[0]);
  check(widest.name === spec.phaseB, 'widest frame at its depth: ' + widest.name);

  // Search reports the matched share of the range.
  await page.fill('#search', spec.phaseB.replace(/\..*/, ''));
  s = await st();
  const share = (100 * b.value / s.total).toFixed(1);
  check(s.matchedText === 'matched ' + share + '%' && s.highlighted >= 1, 'search in range: ' + s.matchedText + ', expected ' + share);
  await page.fill('#search', '');

  // Clicking a row selects its instance (the range stays); the fleet's row selects them all.
  await page.mouse.click(...cell(h, late, spec.drag[1]));
  s = await st();
  check(s.instance === spec.late && (await page.inputValue('#instance')) === String(spec.late), 'row click: instance ' + s.instance);
  check(JSON.stringify(s.range) === JSON.stringify(spec.drag), 'a click keeps the range');
  check(s.total === sum(h.values[late], spec.drag[0], spec.drag[1]), h.rows[late] + ' range total ' + s.total);
  await page.mouse.click(h.cells[0].x - 20, cell(h, 0, 0)[1]);
  check((await st()).instance === -1, 'fleet row label selects all instances');

  // The event selector picks what the map shows.
  await page.selectOption('#event', String(spec.allocEvent));
  const alloc = await hm();
  s = await st();
  check(s.unit === 'bytes' && s.total === sum(alloc.values[0], spec.drag[0], spec.drag[1]) && s.total > 0,
      'alloc in range ' + s.total + ' ' + s.unit);
  check(JSON.stringify(alloc.values) !== JSON.stringify(h.values), 'the map shows the selected event');
  await page.selectOption('#event', '0');

  // Keyboard: arrows walk up the widest frames to B's method, Enter zooms, Escape resets the
  // zoom and then the range.
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  for (const name of spec.path) {
    await page.keyboard.press('ArrowUp');
    check((await st()).cursorName === name, 'ArrowUp to ' + name + ', at ' + (await st()).cursorName);
  }
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('Enter');
  s = await st();
  check(s.zoomName === spec.phaseB && s.range !== null, 'Enter zooms into ' + s.zoomName);
  await page.keyboard.press('Escape');
  s = await st();
  check(s.zoom === 0 && s.range !== null, 'Escape resets the zoom first');
  await page.keyboard.press('Escape');
  s = await st();
  check(s.range === null && s.total === spec.total && await page.isDisabled('#clear-range'), 'Escape then clears the range');

  // The width follows the window: flame graph and heat map redraw at the new width.
  const before = s.width, rootBefore = (await find('all'))[0].width;
  await page.setViewportSize({ width: 900, height: 800 });
  await page.waitForFunction((w) => window.cprof.state().width !== w, before);
  s = await st();
  h = await hm();
  const root = (await find('all'))[0];
  check(Math.abs(before - s.width - 380) <= 2 && root.width === s.width && rootBefore === before, 'resized ' + before + ' -> ' + s.width);
  check(h.width === s.width, 'heat map width ' + h.width + ', flame graph ' + s.width);
  const px = await pixel(page, ...cell(h, late, h.count - 1), 'heat');
  check(!same(px, EMPTY), 'heat map redrawn after the resize');
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.waitForFunction((w) => window.cprof.state().width === w, before);

  // The picture: phase B selected with the clear button, as a user would leave it.
  h = await hm();
  [x0, y] = cell(h, 0, spec.drag[0]);
  [x1] = cell(h, 0, spec.drag[1]);
  await page.mouse.move(x0, y);
  await page.mouse.down();
  await page.mouse.move(x1, y, { steps: 4 });
  await page.mouse.up();
  await page.click('#clear-range');
  check((await st()).range === null, 'clear button');
  await page.mouse.move(x0, y);
  await page.mouse.down();
  await page.mouse.move(x1, y, { steps: 4 });
  await page.mouse.up();
  check(JSON.stringify((await st()).range) === JSON.stringify(spec.drag), 'range again');
  await page.mouse.move(5, 5);
  await page.screenshot({ path: screenshot, fullPage: true });
  return 'OK rows=' + h.rows.length + ' buckets=' + h.count + ' range total=' + rangeTotal;
}));
