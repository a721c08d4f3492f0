// Downloads a .safetensors file and checks it holds exactly what a model needs before anything uses it.

// Downloads shared with shareDownload, by URL: a model's CPU and WebGPU paths read one download of its weights.
const shared = new Map();

async function download(url) {
  let response;
  try { response = await fetch(url); } catch (error) { throw new Error(`could not download ${url}: ${error.message}`); }
  if (!response.ok) throw new Error(`could not download ${url}: HTTP ${response.status} ${response.statusText}`.trim());
  return response.arrayBuffer();
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
  if (8 + length > buffer.byteLength) throw new Error(`${source}: header length ${length} runs past the end of the file (${buffer.byteLength} bytes)`);
  try { return [JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 8, length))), 8 + length]; }
  catch { throw new Error(`${source}: the header is not valid JSON`); }
}

// expected: {tensorName: byteSize}. Returns {tensorName: Float32Array}.
export function parseSafetensors(buffer, expected, source) {
  const [header, dataStart] = readHeader(buffer, source);
  const dataBytes = buffer.byteLength - dataStart, tensors = {};
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
