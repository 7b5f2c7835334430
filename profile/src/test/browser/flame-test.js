// Drives a cprof HTML flame graph in a real headless Chromium (HtmlBrowserTest runs it).
//   node flame-test.js PAGE.html SCREENSHOT.png SPEC_JSON
// SPEC_JSON tells what the page holds (see HtmlBrowserTest). Prints "OK ..." and exits 0, or
// prints "FAIL: reason" and exits 1.
'use strict';

const { check, withPage, pixel, run } = require('./browser');

const [htmlFile, screenshot, specJson] = process.argv.slice(2);
const spec = JSON.parse(specJson);

run(() => withPage(htmlFile, async (page) => {
  const st = () => page.evaluate(() => window.cprof.state());
  const find = (name) => page.evaluate((n) => window.cprof.find(n), name);

  // Initial view: all instances, first event, whole profile, the exact names drawn.
  let s = await st();
  check(s.event === spec.events[0], 'first event ' + s.event);
  check(s.instance === -1 && s.total === spec.total, 'initial total ' + s.total + ', expected ' + spec.total);
  check(await page.title() === spec.title, 'title ' + await page.title());
  for (const name of spec.names) {
    const found = await find(name);
    check(found.length > 0 && found[0].drawn && found[0].name === name, 'frame not drawn with its exact name: ' + name);
  }
  check(await page.isVisible('#instance') && await page.isVisible('#event'), 'selectors visible');
  check(!(await page.isVisible('#timeline')) && !(await page.evaluate(() => window.cprof.heatmap().shown)),
      'no heat map without a timeline');

  // Samples lost (in no stack) and unwalked (kept, as pseudo frames) are told apart.
  check(s.lost === spec.lost && s.unwalked === spec.unwalked, 'lost ' + s.lost + ', unwalked ' + s.unwalked);
  const info = await page.textContent('#info');
  check(info.includes(spec.lostText) && info.includes(spec.unwalkedText), 'info line: ' + info);
  check(!info.includes('dropped'), 'no "dropped" that counts kept samples: ' + info);

  // Frame types: async-profiler's palette, the same colour as the SVG's on the canvas, a legend
  // of the types present, the type in the tooltip.
  const legend = await page.evaluate(() => window.cprof.legend());
  check(JSON.stringify(legend.map((l) => l.label)) === JSON.stringify(spec.legend), 'legend ' + JSON.stringify(legend));
  check(await page.isVisible('#legend') && (await page.textContent('#legend')) === spec.legend.join(''),
      'legend shown: ' + await page.textContent('#legend'));
  for (const t of spec.types) {
    const f = (await find(t.name))[0];
    check(f && f.drawn && f.type === t.type && f.color === t.fill, 'frame ' + t.name + ': ' + JSON.stringify(f) + ', expected ' + JSON.stringify(t));
    const rgb = t.fill.match(/\d+/g).map(Number);
    const px = await pixel(page, f.x + f.width - 3, f.y + 3);
    check(Math.abs(px[0] - rgb[0]) <= 1 && Math.abs(px[1] - rgb[1]) <= 1 && Math.abs(px[2] - rgb[2]) <= 1,
        t.name + ' drawn in ' + px + ', expected ' + t.fill);
    await page.mouse.move(f.x + f.width / 2, f.y + f.height / 2);
    const text = await page.textContent('#tooltip');
    check(text.includes(t.name) && text.includes(t.type), 'tooltip of ' + t.name + ': ' + text);
  }

  // Hover: the tooltip names the frame and gives its value and share.
  const hover = (await find(spec.zoomFrame))[0];
  await page.mouse.move(hover.x + hover.width / 2, hover.y + hover.height / 2);
  const tip = await page.textContent('#tooltip');
  check(await page.isVisible('#tooltip'), 'tooltip shown on hover');
  check(tip.includes(spec.zoomFrame) && tip.includes(spec.zoomTooltip), 'tooltip text: ' + tip);
  const at = await page.evaluate(([x, y]) => window.cprof.frameAt(x, y), [hover.x + 1, hover.y + 1]);
  check(at && at.node === hover.node, 'frameAt finds the hovered frame');

  // Click zooms: the clicked frame spans the full width, its children scale up.
  await page.mouse.click(hover.x + hover.width / 2, hover.y + hover.height / 2);
  s = await st();
  check(s.zoom === hover.node && s.zoomName === spec.zoomFrame, 'zoomed into ' + s.zoomName);
  const zoomed = (await find(spec.zoomFrame))[0];
  check(Math.abs(zoomed.width - s.width) < 1 && zoomed.width > hover.width + 1, 'zoomed frame width ' + zoomed.width + ' of ' + s.width);
  const child = (await find(spec.zoomChild))[0];
  check(Math.abs(child.width / s.width - spec.zoomChildShare) < 0.01, 'child share after zoom ' + child.width / s.width);
  check(!(await page.isDisabled('#reset')), 'reset enabled while zoomed');
  await page.keyboard.press('Escape');
  check((await st()).zoom === 0, 'Escape resets the zoom');
  await page.mouse.click(hover.x + hover.width / 2, hover.y + hover.height / 2);
  check((await st()).zoom === hover.node, 'zoom again');
  await page.click('#reset');
  check((await st()).zoom === 0, 'reset button resets the zoom');

  // Search: typed text highlights frames (magenta pixels) and reports the matched share.
  for (const q of spec.searches) {
    await page.fill('#search', '');
    await page.locator('#search').pressSequentially(q.query);
    s = await st();
    check(s.matchedText === q.matched, 'search ' + q.query + ': "' + s.matchedText + '", expected "' + q.matched + '"');
    check(s.highlighted >= q.highlightedAtLeast, 'search ' + q.query + ' highlighted ' + s.highlighted);
  }
  const hit = (await find(spec.highlightFrame))[0];
  check(hit.highlighted, spec.highlightFrame + ' highlighted');
  const px = await pixel(page, hit.x + hit.width - 3, hit.y + 3);
  check(px[0] > 200 && px[1] < 40 && px[2] > 200, 'highlighted frame is magenta, got ' + px);

  // Instance and event selectors change the totals.
  await page.selectOption('#instance', '1');
  s = await st();
  check(s.instance === 1 && s.total === spec.instance1Total, 'instance 1 total ' + s.total);
  check(s.totalText.includes(spec.instance1TotalText), 'total text ' + s.totalText);
  check(s.matchedText === spec.instance1Matched, 'matched on instance 1: ' + s.matchedText);
  await page.selectOption('#event', '1');
  s = await st();
  check(s.event === spec.events[1] && s.total === spec.event1Instance1Total, spec.events[1] + ' instance 1 total ' + s.total);
  await page.selectOption('#instance', '-1');
  s = await st();
  check(s.total === spec.event1Total && s.unit === spec.event1Unit, spec.events[1] + ' total ' + s.total + ' ' + s.unit);

  // Back to the first event, a search to show, and the picture.
  await page.selectOption('#event', '0');
  await page.fill('#search', spec.screenshotSearch);
  s = await st();
  check(s.total === spec.total, 'back to the first event');
  const drawn = s.drawn;
  await page.mouse.move(5, 5);
  await page.screenshot({ path: screenshot, fullPage: true });

  return 'OK drawn=' + drawn + ' nodes=' + await page.evaluate(() => window.cprof.nodeCount);
}));
