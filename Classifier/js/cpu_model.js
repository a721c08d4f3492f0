// The two architectures in plain JavaScript, for browsers without WebGPU: the same weights file, the same logits.
// Sums run in float64 (JS numbers) and are rounded to float32 once, when stored. The MLP's two large layers run in a
// 1 KB WebAssembly SIMD kernel (float64 sums too) where the browser has one, in plain JavaScript elsewhere.

export const CPU_TENSORS = {
  mlp: { "l1.weight": [512, 784], "l1.bias": [512], "l2.weight": [512, 512], "l2.bias": [512], "l3.weight": [10, 512], "l3.bias": [10] },
  cnn: { "c1.weight": [8, 1, 3, 3], "c1.bias": [8], "c2.weight": [16, 8, 3, 3], "c2.bias": [16], "l1.weight": [10, 400], "l1.bias": [10] },
};

const ROWS = 8;  // output rows computed together: each x[i] is loaded once for 8 rows, and the 8 sums are independent

// out[o] = activation(bias[o] + sum_i weight[o * n + i] * x[i]), weight row-major [outputs, n]
function dense(x, weight, bias, activation) {
  const n = x.length, outputs = bias.length, out = new Float32Array(outputs);
  const act = activation ?? ((v) => v);
  let o = 0;
  for (; o + ROWS <= outputs; o += ROWS) {
    const r0 = o * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n, r4 = r3 + n, r5 = r4 + n, r6 = r5 + n, r7 = r6 + n;
    let s0 = bias[o], s1 = bias[o + 1], s2 = bias[o + 2], s3 = bias[o + 3];
    let s4 = bias[o + 4], s5 = bias[o + 5], s6 = bias[o + 6], s7 = bias[o + 7];
    for (let i = 0; i < n; i++) {
      const v = x[i];
      s0 += weight[r0 + i] * v; s1 += weight[r1 + i] * v; s2 += weight[r2 + i] * v; s3 += weight[r3 + i] * v;
      s4 += weight[r4 + i] * v; s5 += weight[r5 + i] * v; s6 += weight[r6 + i] * v; s7 += weight[r7 + i] * v;
    }
    out[o] = act(s0); out[o + 1] = act(s1); out[o + 2] = act(s2); out[o + 3] = act(s3);
    out[o + 4] = act(s4); out[o + 5] = act(s5); out[o + 6] = act(s6); out[o + 7] = act(s7);
  }
  for (; o < outputs; o++) {
    let sum = bias[o];
    for (let i = 0, row = o * n; i < n; i++) sum += weight[row + i] * x[i];
    out[o] = act(sum);
  }
  return out;
}

// dense64 of bench/cpu_simd/dense64.wat (rebuild: node bench/cpu_simd/build.mjs): out[2o] + out[2o + 1] =
// sum_i weight[o * n + i] * x[i] in float64, four rows at a time, for rows and n multiples of 4.
const DENSE_WASM = "AGFzbQEAAAABCQFgBX9/f39/AAMCAQAFAwEAAQcUAgZtZW1vcnkCAAdkZW5zZTY0AAAK+QQB9gQCBH8MeyADQQJ0IQhBACEFAkADQCAFIARPDQEgASAFIAhsaiEH/QwAAAAAAAAAAAAAAAAAAAAAIQ39DAAAAAAAAAAAAAAAAAAAAAAhDv0MAAAAAAAAAAAAAAAAAAAAACEP/QwAAAAAAAAAAAAAAAAAAAAAIRD9DAAAAAAAAAAAAAAAAAAAAAAhEf0MAAAAAAAAAAAAAAAAAAAAACES/QwAAAAAAAAAAAAAAAAAAAAAIRP9DAAAAAAAAAAAAAAAAAAAAAAhFEEAIQYCQANAIAYgCE8NASAAIAZq/QAEACEJIAn9XyEKIAkgCf0NCAkKCwwNDg8AAQIDBAUGB/1fIQsgByAGav0ABAAhDCANIAz9XyAK/fIB/fABIQ0gDiAMIAz9DQgJCgsMDQ4PAAECAwQFBgf9XyAL/fIB/fABIQ4gByAIaiAGav0ABAAhDCAPIAz9XyAK/fIB/fABIQ8gECAMIAz9DQgJCgsMDQ4PAAECAwQFBgf9XyAL/fIB/fABIRAgByAIQQF0aiAGav0ABAAhDCARIAz9XyAK/fIB/fABIREgEiAMIAz9DQgJCgsMDQ4PAAECAwQFBgf9XyAL/fIB/fABIRIgByAIQQNsaiAGav0ABAAhDCATIAz9XyAK/fIB/fABIRMgFCAMIAz9DQgJCgsMDQ4PAAECAwQFBgf9XyAL/fIB/fABIRQgBkEQaiEGDAALCyACIAVBBHRqIA0gDv3wAf0LBAAgAiAFQQR0QRBqaiAPIBD98AH9CwQAIAIgBUEEdEEgamogESAS/fAB/QsEACACIAVBBHRBMGpqIBMgFP3wAf0LBAAgBUEEaiEFDAALCws=";
const denseModule = (() => {
  try { return new WebAssembly.Module(Uint8Array.from(atob(DENSE_WASM), (c) => c.charCodeAt(0))); }
  catch { return null; }  // no WebAssembly SIMD (or a CSP without wasm-unsafe-eval): plain JavaScript
})();

// One WebAssembly memory per weights object, holding its large matrices, then x and the sums: {weight array: byte offset}
const wasmFor = new WeakMap();
function wasmDense(weights) {
  if (!denseModule) return null;
  if (!wasmFor.has(weights)) {
    let kernel = null;
    try {
      const { exports } = new WebAssembly.Instance(denseModule);
      const big = Object.values(weights).filter((w) => w.length >= 4096 && w.length % 16 === 0);
      const offsets = new Map(), scratch = 16 * 4096;  // x (up to 4096 values) and the sums (up to 2048 rows)
      let end = 0;
      for (const w of big) { offsets.set(w, end); end += w.byteLength; }
      const x = end, out = x + scratch;
      exports.memory.grow(Math.ceil((out + scratch - exports.memory.buffer.byteLength) / 65536));
      for (const w of big) new Float32Array(exports.memory.buffer, offsets.get(w), w.length).set(w);
      kernel = { dense64: exports.dense64, memory: exports.memory.buffer, offsets, x, out };
    } catch { kernel = null; }
    wasmFor.set(weights, kernel);
  }
  return wasmFor.get(weights);
}

// dense() on the WebAssembly kernel when it holds this weight matrix and the shapes fit it, else null
function denseWasm(kernel, x, weight, bias, act) {
  const n = x.length, outputs = bias.length, at = kernel?.offsets.get(weight);
  if (at === undefined || n % 4 || outputs % 4 || n > 4096 || outputs > 2048) return null;
  new Float32Array(kernel.memory, kernel.x, n).set(x);
  kernel.dense64(kernel.x, at, kernel.out, n, outputs);
  const sums = new Float64Array(kernel.memory, kernel.out, 2 * outputs), out = new Float32Array(outputs);
  for (let o = 0; o < outputs; o++) out[o] = act(bias[o] + (sums[2 * o] + sums[2 * o + 1]));
  return out;
}

const silu = (v) => v / (1 + Math.exp(-v));
const identity = (v) => v;

// valid 3x3 convolution, then ReLU and 2x2 max pooling (an odd last row/column is dropped, as in tinygrad).
// One filter at a time over a float64 plane: per input channel the 9 weights sit in registers and the inner loop
// walks a row of the input with stride 1. ReLU after the max equals the max after ReLU.
function convReluPool(x, channels, size, weight, bias) {
  const filters = bias.length, conv = size - 2, pooled = Math.floor(conv / 2);
  const out = new Float32Array(filters * pooled * pooled), plane = new Float64Array(conv * conv);
  for (let f = 0; f < filters; f++) {
    plane.fill(bias[f]);
    for (let c = 0; c < channels; c++) {
      const k = (f * channels + c) * 9, base = c * size * size;
      const w0 = weight[k], w1 = weight[k + 1], w2 = weight[k + 2], w3 = weight[k + 3], w4 = weight[k + 4];
      const w5 = weight[k + 5], w6 = weight[k + 6], w7 = weight[k + 7], w8 = weight[k + 8];
      for (let y = 0; y < conv; y++) {
        const a = base + y * size, b = a + size, d = b + size, p = y * conv;
        for (let i = 0; i < conv; i++) {
          plane[p + i] += w0 * x[a + i] + w1 * x[a + i + 1] + w2 * x[a + i + 2]
                        + w3 * x[b + i] + w4 * x[b + i + 1] + w5 * x[b + i + 2]
                        + w6 * x[d + i] + w7 * x[d + i + 1] + w8 * x[d + i + 2];
        }
      }
    }
    for (let y = 0; y < pooled; y++) for (let i = 0; i < pooled; i++) {
      const p = 2 * y * conv + 2 * i;
      const m = Math.max(plane[p], plane[p + 1], plane[p + conv], plane[p + conv + 1]);
      out[(f * pooled + y) * pooled + i] = m > 0 ? m : 0;
    }
  }
  return out;
}

export function cpuForward(name, w, x) {
  if (name === "mlp") {
    const kernel = wasmDense(w);
    const layer = (h, key, act) => denseWasm(kernel, h, w[`${key}.weight`], w[`${key}.bias`], act) ?? dense(h, w[`${key}.weight`], w[`${key}.bias`], act);
    return layer(layer(layer(x, "l1", silu), "l2", silu), "l3", identity);
  }
  const h = convReluPool(convReluPool(x, 1, 28, w["c1.weight"], w["c1.bias"]), 8, 13, w["c2.weight"], w["c2.bias"]);
  return dense(h, w["l1.weight"], w["l1.bias"]);
}
