// Drives a system Firefox with puppeteer-core over WebDriver BiDi for tests/engines.py, which talks to it in JSON lines:
// one request a line on stdin ({id, op, page, ...}), one answer a line on stdout ({id, value} or {id, error}), in order.
// Started as `node firefox_bridge.mjs CONFIG_JSON`, CONFIG = {executablePath, prefs, downloadDir}; it ends when stdin
// closes, closing Firefox. Nothing but answers goes to stdout: puppeteer's and Firefox's own output go to stderr.
import readline from "node:readline";
import puppeteer from "puppeteer-core";

const config = JSON.parse(process.argv[2]);
const browser = await puppeteer.launch({
  browser: "firefox", executablePath: config.executablePath, headless: true, defaultViewport: null,
  extraPrefsFirefox: config.prefs, protocolTimeout: 300_000, dumpio: false,
});
const pages = new Map();  // id -> {page, context, consoleErrors}
let nextPageId = 1, frontPage = null;

// A function's source applied in the page to one JSON argument; awaited there if it returns a promise. Written into
// the expression that WebDriver evaluates, not eval'd in the page: the page's Content-Security-Policy refuses eval.
const APPLY = (source, arg) => `(${source})(${JSON.stringify(arg ?? null)})`;

// "Shift+Tab", "Control+z", "Enter", "Space": modifiers held while the last key is pressed. Puppeteer's BiDi keyboard
// knows the space bar as " " only.
async function press(page, combo) {
  const keys = combo.split("+"), last = keys.pop(), key = last === "Space" ? " " : last;
  for (const modifier of keys) await page.keyboard.down(modifier);
  await page.keyboard.press(key);
  for (const modifier of keys.reverse()) await page.keyboard.up(modifier);
}

const ops = {
  async version() { return browser.version(); },
  async newPage({ width, height, deviceScaleFactor = 1 }) {
    const context = await browser.createBrowserContext(config.downloadDir ? { downloadBehavior: { policy: "allow", downloadPath: config.downloadDir } } : {});
    const page = await context.newPage(), entry = { page, context, consoleErrors: [] };
    page.on("console", (message) => { if (message.type() === "error") entry.consoleErrors.push(message.text()); });
    page.on("pageerror", (error) => entry.consoleErrors.push(String(error?.message ?? error)));
    await page.setViewport({ width, height, deviceScaleFactor });
    const id = nextPageId++;
    pages.set(id, entry);
    return id;
  },
  async closePage(_, entry, id) { pages.delete(id); await entry.context.close(); },
  async goto({ url }, { page }) { await page.goto(url, { waitUntil: "load" }); },
  async reload(_, { page }) { await page.reload({ waitUntil: "load" }); },
  async evaluate({ source, arg }, { page }) { return page.evaluate(APPLY(source, arg)); },
  async waitFor({ source, arg, ms }, { page }) {
    await page.waitForFunction(APPLY(source, arg), { polling: 50, timeout: ms });
  },
  async click({ selector }, { page }) { await page.click(selector); },
  async hover({ selector }, { page }) { await page.hover(selector); },
  async press({ key }, { page }) { await press(page, key); },
  // strokes: [[[x, y], ...], ...] in the viewport's CSS px; one mouse (or finger) down, moves and up per stroke
  async draw({ strokes }, { page }) {
    for (const stroke of strokes) {
      await page.mouse.move(...stroke[0]);
      await page.mouse.down();
      for (const point of stroke.slice(1)) await page.mouse.move(...point);
      await page.mouse.up();
    }
  },
  async touch({ strokes }, { page }) {
    for (const stroke of strokes) {
      const finger = await page.touchscreen.touchStart(...stroke[0]);
      for (const point of stroke.slice(1)) await finger.move(...point);
      await finger.end();
    }
  },
  async screenshot({ path, fullPage }, { page }) { await page.screenshot({ path, fullPage }); },
  async setViewport({ width, height, deviceScaleFactor = 1 }, { page }) { await page.setViewport({ width, height, deviceScaleFactor }); },
  async consoleErrors(_, entry) { return entry.consoleErrors; },
};

const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
  const request = JSON.parse(line);
  let answer;
  try {
    const entry = pages.get(request.page);
    if (request.page !== undefined && !entry) throw new Error(`no page ${request.page}`);
    // Firefox stops animation frames in a tab that is not in front, and the page draws in them: the page used last is.
    if (entry && frontPage !== request.page) { await entry.page.bringToFront(); frontPage = request.page; }
    answer = { id: request.id, value: (await ops[request.op](request, entry, request.page)) ?? null };
  } catch (error) {
    answer = { id: request.id, error: String(error?.stack ?? error) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
}
await browser.close();
