// A minimal safetensors reader for the library pages (ours has its own in Classifier/js/runtime/safetensors.js).
export async function readSafetensors(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const buffer = await response.arrayBuffer();
  const n = Number(new DataView(buffer).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 8, n)));
  const tensors = {};
  for (const [key, { dtype, shape, data_offsets: [a, b] }] of Object.entries(header)) {
    if (key === "__metadata__") continue;
    if (dtype !== "F32") throw new Error(`${url}: ${key} is ${dtype}`);
    tensors[key] = { shape, data: new Float32Array(buffer.slice(8 + n + a, 8 + n + b)) };
  }
  return tensors;
}
