// The safetensors reader and writer of the page (Classifier/js/runtime/safetensors.js): exactly the tensors a model needs,
// each problem named with its file and tensor; data files of F32, I32 and U8; gzipped or already unpacked bytes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { encodeSafetensors, gunzipped, parseSafetensors, readTensors } from "../../Classifier/js/runtime/safetensors.js";

const weights = () => encodeSafetensors({ "l1.weight": { shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) },
                                          "l1.bias": { shape: [2], data: Float32Array.of(-1, 0.5) } });

// A file of the given header (a JSON object) and data bytes.
function file(header, dataBytes) {
  const json = new TextEncoder().encode(JSON.stringify(header)), out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out.buffer;
}

test("what encodeSafetensors writes parseSafetensors reads back, 8-byte aligned", () => {
  const buffer = weights(), length = Number(new DataView(buffer).getBigUint64(0, true));
  assert.equal(length % 8, 0);
  const tensors = parseSafetensors(buffer, { "l1.weight": 24, "l1.bias": 8 }, "w.safetensors");
  assert.deepEqual(Array.from(tensors["l1.weight"]), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(Array.from(tensors["l1.bias"]), [-1, 0.5]);
  assert.deepEqual(Object.keys(readTensors(buffer, "w")), ["l1.weight", "l1.bias"]);
});

test("each problem of a weights file is named with the file and the tensor", () => {
  const expected = { "l1.weight": 24, "l1.bias": 8 };
  const rejects = (buffer, message, wanted = expected) => assert.throws(() => parseSafetensors(buffer, wanted, "w.safetensors"), { message });
  rejects(new ArrayBuffer(4), "w.safetensors: 4 bytes is too short for a safetensors file");
  const long = new Uint8Array(16);
  new DataView(long.buffer).setBigUint64(0, 100n, true);
  rejects(long.buffer, "w.safetensors: header length 100 runs past the end of the file (16 bytes)");
  const notJson = file({}, 0);
  new Uint8Array(notJson)[8] = 0x7b + 1;
  rejects(notJson, "w.safetensors: the header is not valid JSON");
  rejects(weights(), 'w.safetensors: tensor "l2.weight" is missing', { ...expected, "l2.weight": 4 });
  rejects(file({ "l1.weight": { dtype: "F16", shape: [2, 3], data_offsets: [0, 12] } }, 12), 'w.safetensors: tensor "l1.weight" has dtype F16, expected F32');
  rejects(file({ "l1.weight": { dtype: "F32", shape: [2, 3], data_offsets: [0, 24] } }, 20),
          'w.safetensors: tensor "l1.weight" has offsets [0, 24] outside the 20 data bytes');
  rejects(weights(), 'w.safetensors: tensor "l1.bias" has 2 values, expected 3', { "l1.bias": 12 });
  rejects(file({ "l1.bias": { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, 8), 'w.safetensors: tensor "l1.bias" has 8 bytes, expected 12 for its shape [3]', { "l1.bias": 8 });
});

test("data files of F32, I32 and U8 are read with their dtypes and shapes; others are refused", () => {
  const bytes = new Uint8Array(4 + 8);
  bytes.set([1, 2, 3, 4]);
  new DataView(bytes.buffer).setInt32(4, -7, true);
  new DataView(bytes.buffer).setInt32(8, 9, true);
  const header = { __metadata__: { note: "x" }, images: { dtype: "U8", shape: [2, 2], data_offsets: [0, 4] }, labels: { dtype: "I32", shape: [2], data_offsets: [4, 12] } };
  const json = new TextEncoder().encode(JSON.stringify(header)), buffer = new Uint8Array(8 + json.length + bytes.length);
  new DataView(buffer.buffer).setBigUint64(0, BigInt(json.length), true);
  buffer.set(json, 8);
  buffer.set(bytes, 8 + json.length);
  const tensors = readTensors(buffer.buffer, "d");
  assert.deepEqual(Object.keys(tensors), ["images", "labels"]);
  assert.ok(tensors.images.data instanceof Uint8Array && tensors.labels.data instanceof Int32Array);
  assert.deepEqual([Array.from(tensors.images.data), tensors.images.shape, Array.from(tensors.labels.data)], [[1, 2, 3, 4], [2, 2], [-7, 9]]);
  assert.throws(() => readTensors(file({ t: { dtype: "F64", shape: [1], data_offsets: [0, 8] } }, 8), "d"), { message: 'd: tensor "t" has dtype F64, expected one of F32, I32, U8' });
  assert.throws(() => readTensors(file({ t: { dtype: "U8", shape: [3], data_offsets: [0, 2] } }, 2), "d"), /tensor "t" has offsets \[0, 2\] that do not fit its shape \[3\]/);
});

test("gzipped bytes are unpacked and unpacked ones passed through", async () => {
  const plain = weights(), packed = gzipSync(new Uint8Array(plain));
  assert.deepEqual(new Uint8Array(await gunzipped(packed.buffer.slice(packed.byteOffset, packed.byteOffset + packed.byteLength))), new Uint8Array(plain));
  assert.equal(await gunzipped(plain), plain);
});
