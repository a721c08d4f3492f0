// @ts-check
// Downloads a .safetensors file (a model's weights: float32, or compact and gzipped as export_webgpu.py writes them) and
// checks it holds exactly what a model needs before anything uses it.
/** @typedef {import("../contracts.js").Weights} Weights */

import { reportProgress } from "./download_progress.js";

// Downloads shared with shareDownload, by URL: a model's CPU and WebGPU paths read one download of its weights.
const shared = new Map();

async function download(url) {
  let response;
  try { response = await fetch(url); } catch (error) { throw new Error(`could not download ${url}: ${error.message}`, { cause: error }); }
  if (!response.ok) throw new Error(`could not download ${url}: HTTP ${response.status} ${response.statusText}`.trim());
  try { return await readReporting(response, String(url)); } catch (error) {
    throw new Error(`could not download ${url}: ${error.message}`, { cause: error });
  }
}

// The response's bytes, read as they arrive, each chunk reported (download_progress.js). Content-Length counts the
// bytes on the wire: a server that compressed the file sends more bytes through the body than it says.
async function readReporting(response, url) {
  const length = Number(response.headers.get("Content-Length") ?? NaN);
  const total = Number.isFinite(length) && !response.headers.get("Content-Encoding") ? length : null;
  reportProgress({ url, loaded: 0, total, done: false });
  if (!response.body) return finished(url, await response.arrayBuffer());
  const reader = response.body.getReader(), chunks = [];
  let loaded = 0;
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    chunks.push(read.value);
    loaded += read.value.byteLength;
    if (!total || loaded < total) reportProgress({ url, loaded, total, done: false });
  }
  const bytes = new Uint8Array(loaded);
  chunks.reduce((at, chunk) => { bytes.set(chunk, at); return at + chunk.byteLength; }, 0);
  return finished(url, bytes.buffer);
}

/** @param {string} url @param {ArrayBuffer} buffer */
function finished(url, buffer) {
  reportProgress({ url, loaded: buffer.byteLength, total: buffer.byteLength, done: true });
  return buffer;
}

export function fetchBytes(url) {
  return shared.get(String(url)) ?? download(url);
}

// Starts one download of url that every fetchBytes(url) reuses until release() is called; the bytes stay in memory
// until then, so release as soon as the last reader has them.
export function shareDownload(url) {
  const key = String(url), bytes = download(url);
  shared.set(key, bytes);
  return { bytes, release: () => { if (shared.get(key) === bytes) shared.delete(key); } };
}

function readHeader(buffer, source) {
  if (buffer.byteLength < 8) throw new Error(`${source}: ${buffer.byteLength} bytes is too short for a safetensors file`);
  const length = Number(new DataView(buffer).getBigUint64(0, true));
  if (8 + length > buffer.byteLength) {
    throw new Error(`${source}: header length ${length} runs past the end of the file (${buffer.byteLength} bytes)`);
  }
  try { return [JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 8, length))), 8 + length]; }
  catch { throw new Error(`${source}: the header is not valid JSON`); }
}

const FORMAT = "compact-weights/1", GROUP = 64;  // digits/compact_weights.py's
const STORED = { F32: Float32Array, I8: Int8Array, U8: Uint8Array };
// How each scheme of a compact file is stored: its tensor's dtype and, from that tensor's shape, its scale's shape
const rowScales = (shape) => (shape.length >= 1 ? [shape[0]] : null);
const SCHEMES = {
  "f32": { dtype: "F32", scale: null },
  "int8/row": { dtype: "I8", scale: rowScales },
  "int6/row": { dtype: "I8", scale: rowScales },  // int8/row's layout with fewer levels, which gzip packs
  "int5/row": { dtype: "I8", scale: rowScales },
  "int4/64": { dtype: "U8", scale: (shape) => (shape.length === 2 ? [shape[0], Math.ceil((2 * shape[1]) / GROUP)] : null) },
};

// Tensor `name` of the file as stored, checked: its dtype, offsets inside the data, and bytes that its shape accounts for.
function storedTensor(buffer, header, dataStart, name, dtype, source) {
  const entry = header[name], dataBytes = buffer.byteLength - dataStart;
  if (!entry) throw new Error(`${source}: tensor "${name}" is missing`);
  if (entry.dtype !== dtype) throw new Error(`${source}: tensor "${name}" has dtype ${entry.dtype}, expected ${dtype}`);
  const [begin, end] = entry.data_offsets ?? [], shape = entry.shape ?? [], Typed = STORED[dtype];
  if (!Number.isInteger(begin) || !Number.isInteger(end) || begin < 0 || end < begin || end > dataBytes)
    throw new Error(`${source}: tensor "${name}" has offsets [${begin}, ${end}] outside the ${dataBytes} data bytes`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0))
    throw new Error(`${source}: tensor "${name}" has shape ${JSON.stringify(shape)}, not a list of sizes`);
  const bytes = shape.reduce((a, b) => a * b, 1) * Typed.BYTES_PER_ELEMENT;
  if (end - begin !== bytes) throw new Error(`${source}: tensor "${name}" has ${end - begin} bytes, expected ${bytes} for its shape [${shape}]`);
  // a copy: a typed array view needs its element size's alignment, which the header length does not promise
  return { shape, data: new Typed(buffer.slice(dataStart + begin, dataStart + end)) };
}

// value = integer x the scale of its row
function int8Rows(values, scales) {
  const out = new Float32Array(values.length), perRow = values.length / scales.length;
  for (let i = 0; i < values.length; i++) out[i] = values[i] * scales[Math.floor(i / perRow)];
  return out;
}

// Two 4-bit two's complement values per byte, the first in the low nibble; value = integer x the scale of its group of
// GROUP inputs in its row
/** @param {Uint8Array} bytes @param {Float32Array} scales @param {number[]} shape (rows, inputs / 2) */
function int4Groups(bytes, scales, [rows, half]) {
  const inputs = 2 * half, groups = Math.ceil(inputs / GROUP), out = new Float32Array(rows * inputs);
  const signed = (nibble) => (nibble >= 8 ? nibble - 16 : nibble);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < half; j++) {
      const byte = bytes[r * half + j], scale = scales[r * groups + Math.floor((2 * j) / GROUP)];  // GROUP is even: both in one group
      out[r * inputs + 2 * j] = signed(byte & 15) * scale;
      out[r * inputs + 2 * j + 1] = signed(byte >> 4) * scale;
    }
  }
  return out;
}

function decodeTensor(buffer, header, dataStart, name, scheme, source) {
  const rule = Object.hasOwn(SCHEMES, scheme) ? SCHEMES[scheme] : null;
  if (!rule) {
    const known = Object.keys(SCHEMES).join(", ");
    throw new Error(`${source}: tensor "${name}" has scheme "${scheme}", which this page cannot decode (it knows ${known})`);
  }
  const { shape, data } = storedTensor(buffer, header, dataStart, name, rule.dtype, source);
  if (!rule.scale) return data;
  const scaleShape = rule.scale(shape);
  if (!scaleShape) throw new Error(`${source}: tensor "${name}" (${scheme}) has shape [${shape}], which that scheme cannot have`);
  const scale = storedTensor(buffer, header, dataStart, `${name}.scale`, "F32", source);
  if (String(scale.shape) !== String(scaleShape))
    throw new Error(`${source}: tensor "${name}.scale" has shape [${scale.shape}], expected [${scaleShape}] for ${scheme} "${name}"`);
  if (!scale.data.every(Number.isFinite)) throw new Error(`${source}: tensor "${name}.scale" holds a value that is not a finite number`);
  return rule.dtype === "I8" ? int8Rows(data, scale.data) : int4Groups(data, scale.data, shape);
}

/**
 * Every tensor of a weights file as float32, checked (dtype, offsets and size of each; a compact file's schemes and
 * scales): a float32 file's F32 tensors as they are, a compact file's (digits/compact_weights.py) decoded.
 * @param {ArrayBuffer} buffer the file, unpacked @param {string | URL} source names it in errors
 * @returns {Record<string, Float32Array>}
 */
export function decodeSafetensors(buffer, source) {
  const [header, dataStart] = readHeader(buffer, source), { format, ...schemes } = header.__metadata__ ?? {};
  const names = Object.keys(header).filter((name) => name !== "__metadata__");
  if (format !== FORMAT) return Object.fromEntries(names.map((name) => [name, storedTensor(buffer, header, dataStart, name, "F32", source).data]));
  const scales = new Set(Object.entries(schemes).filter(([, scheme]) => scheme !== "f32").map(([name]) => `${name}.scale`));
  const stray = names.find((name) => !Object.hasOwn(schemes, name) && !scales.has(name));
  if (stray) throw new Error(`${source}: tensor "${stray}" has no scheme in the file's metadata`);
  return Object.fromEntries(Object.entries(schemes).map(([name, scheme]) => [name, decodeTensor(buffer, header, dataStart, name, scheme, source)]));
}

/**
 * The tensors `expected` names, each checked to be of its size in bytes (`source` names the file in errors).
 * @param {Record<string, Float32Array>} tensors @param {Record<string, number>} expected @param {string | URL} source
 * @returns {Record<string, Float32Array>}
 */
export function pickWeights(tensors, expected, source) {
  /** @type {Record<string, Float32Array>} */
  const picked = {};
  for (const [name, size] of Object.entries(expected)) {
    if (!Object.hasOwn(tensors, name)) throw new Error(`${source}: tensor "${name}" is missing`);
    if (tensors[name].byteLength !== size) throw new Error(`${source}: tensor "${name}" has ${tensors[name].length} values, expected ${size / 4}`);
    picked[name] = tensors[name];
  }
  return picked;
}

/**
 * The tensors `expected` names as float32, from the bytes of a weights file, float32 or compact (not gzipped).
 * @param {ArrayBuffer} buffer @param {Record<string, number>} expected @param {string | URL} source
 * @returns {Record<string, Float32Array>}
 */
export function parseSafetensors(buffer, expected, source) {
  return pickWeights(decodeSafetensors(buffer, source), expected, source);
}

// The decoded tensors of each download (by its promise), so that a model's CPU and WebGPU paths, reading one shared
// download, decode it once; they go with the download
const decodedDownloads = new WeakMap();

/**
 * Every tensor of the weights file at `url` (float32 or compact, gzipped or not) as float32: decodeSafetensors.
 * @param {string | URL} url @returns {Promise<Record<string, Float32Array>>}
 */
export function fetchWeights(url) {
  const bytes = fetchBytes(url);
  if (!decodedDownloads.has(bytes)) {
    const unpacked = bytes.then((buffer) => gunzipped(buffer).catch((error) => {
      throw new Error(`${url}: not a valid gzip file (${error.message})`, { cause: error });
    }));
    decodedDownloads.set(bytes, unpacked.then((buffer) => decodeSafetensors(buffer, url)));
  }
  return decodedDownloads.get(bytes);
}

const TYPED = { F32: Float32Array, I32: Int32Array, U8: Uint8Array };

// Every tensor of a safetensors file: {name: {dtype, shape, data: TypedArray}}; for data files (F32, I32, U8).
export function readTensors(buffer, source) {
  const [header, dataStart] = readHeader(buffer, source), tensors = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const Array = TYPED[entry.dtype], [begin, end] = entry.data_offsets ?? [];
    if (!Array) throw new Error(`${source}: tensor "${name}" has dtype ${entry.dtype}, expected one of ${Object.keys(TYPED).join(", ")}`);
    const count = (entry.shape ?? []).reduce((a, b) => a * b, 1);
    if (!Number.isInteger(begin) || end - begin !== count * Array.BYTES_PER_ELEMENT || dataStart + end > buffer.byteLength)
      throw new Error(`${source}: tensor "${name}" has offsets [${begin}, ${end}] that do not fit its shape [${entry.shape}] in the file`);
    tensors[name] = { dtype: entry.dtype, shape: entry.shape, data: new Array(buffer.slice(dataStart + begin, dataStart + end)) };
  }
  return tensors;
}

// A safetensors file of F32 tensors {name: {shape, data: Float32Array}}, in the given order: what models.load_model reads.
export function encodeSafetensors(tensors) {
  const header = {};
  let offset = 0;
  for (const [name, { shape, data }] of Object.entries(tensors)) {
    header[name] = { dtype: "F32", shape, data_offsets: [offset, offset += data.byteLength] };
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const text = new Uint8Array(Math.ceil(json.length / 8) * 8).fill(0x20);  // spaces keep the tensor data 8-byte aligned
  text.set(json);
  const out = new Uint8Array(8 + text.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  let at = 8 + text.length;
  for (const { data } of Object.values(tensors)) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
    at += data.byteLength;
  }
  return out.buffer;
}

// The bytes of a file that may be gzipped (by export_webgpu.py) or already unpacked (by a server that sent it with
// Content-Encoding: gzip): the gzip magic number tells.
export async function gunzipped(buffer) {
  const head = new Uint8Array(buffer, 0, Math.min(2, buffer.byteLength));
  if (head[0] !== 0x1f || head[1] !== 0x8b) return buffer;
  return new Response(new Blob([buffer]).stream().pipeThrough(new DecompressionStream("gzip"))).arrayBuffer();
}
