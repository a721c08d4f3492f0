// Shared by the benchmark pages (bench/browser_bench.py): times a page from navigation start (performance.now() = 0)
// to its first inference result, then exposes predict() for the steady-state latency and logit checks.
// Each page calls start(setup) where setup() loads its library and builds its model and returns
// {predict: async (Float32Array(784)) -> Float32Array(10), backend}.

// The first input: a fixed "1"-like bar in the models' -1..1 range, made here so that no extra download is timed.
export function firstInput() {
  const x = new Float32Array(784).fill(-1);
  for (let row = 4; row < 24; row++) for (let col = 13; col < 16; col++) x[row * 28 + col] = 1;
  return x;
}

export const query = new URLSearchParams(location.search);

export function start(setup) {
  window.bench = (async () => {
    const marks = {script: performance.now()};
    const model = await setup(marks);
    marks.loaded = performance.now();
    const logits = await model.predict(firstInput());
    marks.firstPrediction = performance.now();
    return {marks, backend: model.backend, firstLogits: Array.from(logits), predict: model.predict};
  })();
  // what bench/browser_bench.py waits for: benchState once the first result is in, or benchError
  window.bench.then(({ predict, ...state }) => { window.benchState = state; },
    (error) => { window.benchError = String(error?.stack ?? error); });
}

// Runs `warmup` untimed calls, then `calls` timed ones, cycling through `inputs` (arrays of 784 numbers).
window.benchLatency = async (inputs, warmup, calls) => {
  const { predict } = await window.bench;
  const xs = inputs.map((x) => new Float32Array(x));
  for (let i = 0; i < warmup; i++) await predict(xs[i % xs.length]);
  const times = [];
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await predict(xs[i % xs.length]);
    times.push(performance.now() - t0);
  }
  return times;
};

window.benchLogits = async (inputs) => {
  const { predict } = await window.bench;
  const out = [];
  for (const x of inputs) out.push(Array.from(await predict(new Float32Array(x))));
  return out;
};
