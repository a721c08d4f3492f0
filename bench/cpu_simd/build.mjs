// Assembles bench/cpu_simd/dense64.wat and prints it as base64 for DENSE_WASM in Classifier/js/cpu_model.js:
//   npm ci --prefix bench && node bench/cpu_simd/build.mjs
import fs from "fs";
import path from "path";
import { fileURLToPath } from "url";
import wabtInit from "wabt";
const here = path.dirname(fileURLToPath(import.meta.url));
const wabt = await wabtInit();
const module = wabt.parseWat("dense64.wat", fs.readFileSync(path.join(here, "dense64.wat"), "utf8"), { simd: true });
module.validate();
console.log(Buffer.from(module.toBinary({}).buffer).toString("base64"));
