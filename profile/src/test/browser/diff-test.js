// Drives a cprof differential flame graph (HtmlWriter.writeDiff) in a real headless Chromium
// (HtmlBrowserTest runs it).
//   node diff-test.js PAGE.html SCREENSHOT.png SPEC_JSON
// SPEC_JSON: {"title", "total", "legend": text the info line holds,
//             "frames": [{"name", "fill": "rgb(r,g,b)" (the SVG's colour of the frame),
//                         "change": "grew" | "shrank" | "unchanged" | "new", "tooltip": text}],
//             "hover": name of the frame hovered for the screenshot}
// Prints "OK ..." and exits 0, or prints "FAIL: reason" and exits 1.
'use strict';

const { check, withPage, pixel, run } = require('./browser');

const [htmlFile, screenshot, specJson] = process.argv.slice(2);
const spec = JSON.parse(specJson);

function rgb(text) {
  return text.match(/\d+/g).map(Number);
}

run(() => withPage(htmlFile, async (page) => {
  const find = (name) => page.evaluate((n) => window.cprof.find(n), name);
  const s = await page.evaluate(() => window.cprof.state());
  check(await page.title() === spec.title, 'title ' + await page.title());
  check(s.total === spec.total, 'NEW total ' + s.total + ', expected ' + spec.total);
  const info = await page.textContent('#info');
  check(info.includes(spec.legend), 'legend in the info line: ' + info);
  // Colours mean change here, not frame type: no type legend.
  check(!(await page.isVisible('#legend')) && (await page.evaluate(() => window.cprof.legend())).length === 0, 'no type legend in a diff');

  const seen = [];
  for (const f of spec.frames) {
    const frame = (await find(f.name))[0];
    check(frame && frame.drawn, 'frame not drawn: ' + f.name);
    // The top right corner: inside the rect, away from the label.
    const px = await pixel(page, frame.x + frame.width - 3, frame.y + 3);
    const want = rgb(f.fill);
    check(px.slice(0, 3).every((v, i) => Math.abs(v - want[i]) <= 1),
      f.name + ' (' + f.change + ') drawn ' + px.slice(0, 3) + ', the SVG has ' + want);
    const [r, g, b] = px;
    if (f.change === 'grew' || f.change === 'new') {
      check(r > 200 && g < r - 40 && b < r - 40, f.name + ' ' + f.change + ' but not red: ' + px);
    } else if (f.change === 'shrank') {
      check(b > 200 && r < b - 40 && g < b - 40, f.name + ' shrank but not blue: ' + px);
    } else {
      check(Math.abs(r - b) <= 2 && Math.abs(r - g) <= 2 && r > 200, f.name + ' unchanged but not grey: ' + px);
    }
    await page.mouse.move(frame.x + frame.width / 2, frame.y + frame.height / 2);
    const tip = await page.textContent('#tooltip');
    check(await page.isVisible('#tooltip') && tip.includes(f.name) && tip.includes(f.tooltip), 'tooltip of ' + f.name + ': ' + tip);
    seen.push(f.name + '=' + px.slice(0, 3).join(','));
  }

  // Zooming keeps the colours: they are the change of the frame's share of the whole profile.
  const first = spec.frames[0];
  const before = (await find(first.name))[0];
  await page.mouse.click(before.x + before.width / 2, before.y + before.height / 2);
  const zoomed = (await find(first.name))[0];
  check(zoomed.width > before.width, 'zoomed into ' + first.name);
  const zpx = await pixel(page, zoomed.x + zoomed.width - 3, zoomed.y + 3);
  check(zpx.slice(0, 3).every((v, i) => Math.abs(v - rgb(first.fill)[i]) <= 1), 'colour after zoom ' + zpx);
  await page.keyboard.press('Escape');

  const hover = (await find(spec.hover))[0];
  await page.mouse.move(hover.x + hover.width / 2, hover.y + hover.height / 2);
  await page.screenshot({ path: screenshot, fullPage: true });
  return 'OK ' + seen.join(' ');
}));
