// WebAssembly SIMD dense layers for the MLP of Classifier/js/cpu_model.js (dense64 ships there, built from dense64.wat by
// build.mjs; dense32 does not), timed against the current
// and the previous cpu_model.js on the MLP in node (the V8 of Chromium, older):  node bench/cpu_simd/bench.mjs
//   dense64: f32 weights promoted to f64x2, float64 sums as in cpu_model.js (bit-identical logits here)
//   dense32: f32x4 sums, as ONNX Runtime's wasm backend does (logits differ by ~1e-6)
import fs from "fs";
import path from "path";
import { fileURLToPath } from "url";
import wabtInit from "wabt";
const here = path.dirname(fileURLToPath(import.meta.url)), root = path.join(here, "..", "..");
process.chdir(here);
const wabt = await wabtInit();
const mod = wabt.parseWat("dense.wat", fs.readFileSync("dense.wat", "utf8"), { simd: true });
const { buffer } = mod.toBinary({});
console.log("wasm bytes", buffer.length);
const { instance } = await WebAssembly.instantiate(buffer);
const { memory, dense64, dense32 } = instance.exports;
const current = await import(path.join(root, "Classifier/js/cpu_model.js"));
// the cpu_model.js before this work, for reference: one output row at a time
const ref = { cpuForward(name, w, x) {
  const dense = (x, weight, bias, act) => { const n = x.length, out = new Float32Array(bias.length);
    for (let o = 0; o < out.length; o++) { let s = bias[o]; for (let i = 0, r = o * n; i < n; i++) s += weight[r + i] * x[i]; out[o] = act ? act(s) : s; } return out; };
  const silu = (v) => v / (1 + Math.exp(-v));
  return dense(dense(dense(x, w["l1.weight"], w["l1.bias"], silu), w["l2.weight"], w["l2.bias"], silu), w["l3.weight"], w["l3.bias"]);
} };
function load(path) { const buf = fs.readFileSync(path); const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length);
  const n = Number(new DataView(ab).getBigUint64(0, true)); const h = JSON.parse(new TextDecoder().decode(new Uint8Array(ab, 8, n)));
  const w = {}; for (const [k, e] of Object.entries(h)) if (k !== "__metadata__") w[k] = new Float32Array(ab.slice(8 + n + e.data_offsets[0], 8 + n + e.data_offsets[1])); return w; }
const w = load(path.join(root, "Classifier/mlp/mlp.webgpu.safetensors"));
const F = new Float32Array(memory.buffer), D = new Float64Array(memory.buffer);
// layout (bytes): W1 at 0, W2 at W1 end, x at X, out at O
const W1 = 0, W2 = W1 + 784 * 512 * 4, X = W2 + 512 * 512 * 4, O = X + 784 * 4, H = O + 512 * 16;
F.set(w["l1.weight"], W1 / 4); F.set(w["l2.weight"], W2 / 4);
const silu = (v) => v / (1 + Math.exp(-v));
function fwd(x, kind) {
  const out1 = new Float32Array(512), out2 = new Float32Array(512);
  F.set(x, X / 4);
  if (kind === 64) { dense64(X, W1, O, 784, 512); for (let o = 0; o < 512; o++) out1[o] = silu(w["l1.bias"][o] + (D[O / 8 + 2 * o] + D[O / 8 + 2 * o + 1])); }
  else { dense32(X, W1, O, 784, 512); for (let o = 0; o < 512; o++) { const b = O / 4 + 4 * o; out1[o] = silu(w["l1.bias"][o] + ((F[b] + F[b + 1]) + (F[b + 2] + F[b + 3]))); } }
  F.set(out1, X / 4);
  if (kind === 64) { dense64(X, W2, O, 512, 512); for (let o = 0; o < 512; o++) out2[o] = silu(w["l2.bias"][o] + (D[O / 8 + 2 * o] + D[O / 8 + 2 * o + 1])); }
  else { dense32(X, W2, O, 512, 512); for (let o = 0; o < 512; o++) { const b = O / 4 + 4 * o; out2[o] = silu(w["l2.bias"][o] + ((F[b] + F[b + 1]) + (F[b + 2] + F[b + 3]))); } }
  const out = new Float32Array(10);
  for (let o = 0; o < 10; o++) { let s = w["l3.bias"][o]; for (let i = 0; i < 512; i++) s += w["l3.weight"][o * 512 + i] * out2[i]; out[o] = s; }
  return out;
}
const xs = []; for (let k = 0; k < 16; k++) { const x = new Float32Array(784); for (let i = 0; i < 784; i++) x[i] = Math.sin(i * (k + 1) * 0.37); xs.push(x); }
function time(f) {
  for (let i = 0; i < 50; i++) f(xs[i % 16]);
  const ts = []; for (let i = 0; i < 300; i++) { const t = performance.now(); f(xs[i % 16]); ts.push(performance.now() - t); }
  return ts.sort((a, b) => a - b)[150].toFixed(4);
}
console.log("previous cpu_model.js median", time((x) => ref.cpuForward("mlp", w, x)), "ms");
console.log("current cpu_model.js median", time((x) => current.cpuForward("mlp", w, x)), "ms");
for (const kind of [64, 32]) {
  let maxd = 0, same = 0;
  for (const x of xs) { const a = ref.cpuForward("mlp", w, x), b = fwd(x, kind); for (let i = 0; i < 10; i++) { maxd = Math.max(maxd, Math.abs(a[i] - b[i])); same += a[i] === b[i]; } }
  for (let i = 0; i < 50; i++) fwd(xs[i % 16], kind);
  const ts = []; for (let i = 0; i < 300; i++) { const t = performance.now(); fwd(xs[i % 16], kind); ts.push(performance.now() - t); }
  ts.sort((a, b) => a - b); console.log(`wasm f${kind}`, "median", ts[150].toFixed(4), "ms, max diff vs orig", maxd, "identical", same, "/ 160");
}
