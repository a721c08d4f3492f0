// The two architectures in plain JavaScript, for browsers without WebGPU: the same weights file, the same logits.

export const CPU_TENSORS = {
  mlp: { "l1.weight": [512, 784], "l1.bias": [512], "l2.weight": [512, 512], "l2.bias": [512], "l3.weight": [10, 512], "l3.bias": [10] },
  cnn: { "c1.weight": [8, 1, 3, 3], "c1.bias": [8], "c2.weight": [16, 8, 3, 3], "c2.bias": [16], "l1.weight": [10, 400], "l1.bias": [10] },
};

function dense(x, weight, bias, activation) {
  const n = x.length, out = new Float32Array(bias.length);
  for (let o = 0; o < out.length; o++) {
    let sum = bias[o];
    for (let i = 0, row = o * n; i < n; i++) sum += weight[row + i] * x[i];
    out[o] = activation ? activation(sum) : sum;
  }
  return out;
}

const silu = (v) => v / (1 + Math.exp(-v));

// valid 3x3 convolution, then ReLU and 2x2 max pooling (an odd last row/column is dropped, as in tinygrad)
function convReluPool(x, channels, size, weight, bias) {
  const filters = bias.length, conv = size - 2, pooled = Math.floor(conv / 2);
  const out = new Float32Array(filters * pooled * pooled), plane = new Float32Array(conv * conv);
  for (let f = 0; f < filters; f++) {
    for (let y = 0; y < conv; y++) for (let x0 = 0; x0 < conv; x0++) {
      let sum = bias[f];
      for (let c = 0; c < channels; c++) {
        const w = (f * channels + c) * 9, base = c * size * size + y * size + x0;
        for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) sum += weight[w + ky * 3 + kx] * x[base + ky * size + kx];
      }
      plane[y * conv + x0] = sum > 0 ? sum : 0;
    }
    for (let y = 0; y < pooled; y++) for (let x0 = 0; x0 < pooled; x0++) {
      const i = 2 * y * conv + 2 * x0;
      out[(f * pooled + y) * pooled + x0] = Math.max(plane[i], plane[i + 1], plane[i + conv], plane[i + conv + 1]);
    }
  }
  return out;
}

export function cpuForward(name, w, x) {
  if (name === "mlp") {
    const h = dense(dense(x, w["l1.weight"], w["l1.bias"], silu), w["l2.weight"], w["l2.bias"], silu);
    return dense(h, w["l3.weight"], w["l3.bias"]);
  }
  const h = convReluPool(convReluPool(x, 1, 28, w["c1.weight"], w["c1.bias"]), 8, 13, w["c2.weight"], w["c2.bias"]);
  return dense(h, w["l1.weight"], w["l1.bias"]);
}
