// What the browser checks share: a headless Chromium on one local file (no other request
// allowed, no console error), assertions, and reading the canvas's pixels.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { pathToFileURL } = require('url');
const { chromium } = require('playwright-core');

const executablePath = process.env.CPROF_CHROMIUM || '/usr/bin/chromium';

function check(cond, message) {
  if (!cond) {
    throw new Error(message);
  }
}

/** Opens htmlFile, waits for the flame graph to draw, runs body(page); returns what body returns. */
async function withPage(htmlFile, body) {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cprof-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-default-apps', '--disable-extensions'],
    timeout: 30000,
  });
  const url = pathToFileURL(path.resolve(htmlFile)).href;
  const problems = [];
  const foreign = [];
  context.on('request', (r) => { if (r.url() !== url) { foreign.push(r.url()); } });
  try {
    const page = context.pages()[0] || await context.newPage();
    page.setDefaultTimeout(10000);
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') { problems.push('console ' + m.type() + ': ' + m.text()); } });
    page.on('pageerror', (e) => problems.push('page error: ' + e.message));
    await page.goto(url);
    await page.waitForFunction(() => window.cprof && window.cprof.state().drawn > 0);
    const result = await body(page);
    check(problems.length === 0, 'console problems: ' + problems.join('; '));
    check(foreign.length === 0, 'network requests beyond the file: ' + foreign.join(', '));
    return result;
  } finally {
    await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
}

/** [r, g, b, a] of the pixel of canvas #id (default: the flame graph) under the page point (x, y). */
function pixel(page, x, y, id) {
  return page.evaluate(([px, py, cid]) => {
    const c = document.getElementById(cid);
    const r = c.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    // Copied to a scratch canvas first: reading the page's own canvas again and again makes
    // Chromium warn on the console (which the checks treat as a problem).
    const t = document.createElement('canvas');
    t.width = 1;
    t.height = 1;
    const tc = t.getContext('2d', { willReadFrequently: true });
    tc.drawImage(c, Math.round((px - r.left) * dpr), Math.round((py - r.top) * dpr), 1, 1, 0, 0, 1, 1);
    return Array.from(tc.getImageData(0, 0, 1, 1).data);
  }, [x, y, id || 'flame']);
}

/** Runs main; prints "OK ..." (its result) and exits 0, or "FAIL: reason" and exits 1. */
function run(main) {
  main().then((ok) => {
    console.log(ok);
    process.exit(0);
  }, (e) => {
    console.log('FAIL: ' + e.message);
    process.exit(1);
  });
}

module.exports = { check, withPage, pixel, run };
