// One prediction's time in Firefox with WebGPU on (dom.webgpu.enabled), the page on WebGPU: what a readback's wait for
// Firefox's poll of the GPU costs (Mozilla bug 1870699). Drives Firefox ESR with the tests' puppeteer-core
// (npm ci --prefix tests), against a page already served:
//   ./serve.sh 8000 &  node bench/firefox_readback.mjs http://127.0.0.1:8000/ [runs]
const USAGE = `usage: node bench/firefox_readback.mjs BASE_URL [runs]
One prediction's time in Firefox ESR (/usr/bin/firefox-esr) with WebGPU on, against the page served at BASE_URL
(./serve.sh 8000 &); median of runs (default 20). Needs the tests' puppeteer-core: npm ci --prefix tests`;
const [base, runs = "20"] = process.argv.slice(2);
if (base === "--help" || base === "-h") { console.log(USAGE); process.exit(0); }
if (!base) { console.error(USAGE); process.exit(2); }
const puppeteer = (await import(new URL("../tests/node_modules/puppeteer-core/lib/esm/puppeteer/puppeteer-core.js", import.meta.url).href)).default;
const browser = await puppeteer.launch({
  browser: "firefox", executablePath: "/usr/bin/firefox-esr", headless: true,
  extraPrefsFirefox: { "dom.webgpu.enabled": true, "gfx.webgpu.ignore-blocklist": true },
});
try {
  const page = await browser.newPage();
  await page.goto(new URL("?backend=webgpu", base).href);
  await page.waitForSelector('#status[data-state="ready"], #status[data-state="error"]', { timeout: 120_000 });
  const status = await page.$eval("#status", (el) => `${el.dataset.state}: ${el.textContent}`);
  const times = await page.evaluate(async (count) => {
    const x = new Float32Array(784).fill(-1), out = [];
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      await window.digitPage.predict(x);
      out.push(performance.now() - started);
    }
    return out;
  }, Number(runs));
  const sorted = [...times].sort((a, b) => a - b), median = sorted[Math.floor(sorted.length / 2)];
  console.log(`${await browser.version()}, ${status}`);
  console.log(`one prediction: first ${times[0].toFixed(1)} ms, median of ${times.length} ${median.toFixed(1)} ms, fastest ${sorted[0].toFixed(1)} ms`);
} finally { await browser.close(); }
