// @ts-check
// Downloads a .safetensors file and checks it holds exactly what a model needs before anything uses it.
/** @typedef {import("./contracts.js").Weights} Weights */

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

/**
 * The tensors `expected` names, each checked to be F32 of its size in bytes, from the file's bytes (`source` names it in errors).
 * @param {ArrayBuffer} buffer @param {Record<string, number>} expected @param {string | URL} source
 * @returns {Record<string, Float32Array>}
 */
export function parseSafetensors(buffer, expected, source) {
  const [header, dataStart] = readHeader(buffer, source);
  const dataBytes = buffer.byteLength - dataStart, /** @type {Weights} */ tensors = {};
  for (const [name, size] of Object.entries(expected)) {
    const entry = header[name];
    if (!entry) throw new Error(`${source}: tensor "${name}" is missing`);
    if (entry.dtype !== "F32") throw new Error(`${source}: tensor "${name}" has dtype ${entry.dtype}, expected F32`);
    const [begin, end] = entry.data_offsets ?? [];
    if (!Number.isInteger(begin) || !Number.isInteger(end) || begin < 0 || end < begin || end > dataBytes)
      throw new Error(`${source}: tensor "${name}" has offsets [${begin}, ${end}] outside the ${dataBytes} data bytes`);
    if (end - begin !== size) throw new Error(`${source}: tensor "${name}" has ${end - begin} bytes, expected ${size}`);
    const shapeBytes = 4 * (entry.shape ?? []).reduce((a, b) => a * b, 1);
    if (shapeBytes !== size) throw new Error(`${source}: tensor "${name}" has shape [${entry.shape}], expected ${size / 4} values`);
    // a copy: a Float32Array view needs 4-byte alignment, which the header length does not promise
    tensors[name] = new Float32Array(buffer.slice(dataStart + begin, dataStart + end));
  }
  return tensors;
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
