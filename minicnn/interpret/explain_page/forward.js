// minicnn explain, part 1 of 3: the data, and the page's own forward pass, one entry per layer type.
// Tensors are {shape: [H, W, C] or [U], data: Float64Array}; element (i, j, c) sits at (i*W + j)*C + c,
// channels-last as in minicnn. Kernels keep Keras's layout: Conv2D (KH, KW, C, F), Dense (D, U).
"use strict";
const D = JSON.parse(document.getElementById("data").textContent);

// ------------------------------------------------------------------ data: base64 -> typed arrays
function bytesOf(b64) {
  if (Uint8Array.fromBase64) return Uint8Array.fromBase64(b64);    // native where the browser has it (Chromium 140+)
  const text = atob(b64), bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}
const floats = (b64) => new Float32Array(bytesOf(b64).buffer);   // float32, exactly as saved
const size = (shape) => shape.reduce((a, b) => a * b, 1);
const IMAGES = floats(D.images);
const IMAGE_SIZE = size(D.input_shape);
for (const layer of D.layers) {
  for (const name in layer.params) layer.params[name].values = floats(layer.params[name].data);
  if (layer.outputs) layer.outputValues = floats(layer.outputs);
}

// ------------------------------------------------------------------ activations (minicnn/layers/activation_functions.py)
// erf by Numerical Recipes' Chebyshev fit (relative error below 1.2e-7): JavaScript has none.
function erf(x) {
  const z = Math.abs(x), t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? 1 - r : r - 1;
}
const sigmoid = (z) => 1 / (1 + Math.exp(-z));
// name -> [f(z, options), the formula as the page writes it]; options default as Keras's functions do.
const FUNCTIONS = {
  linear: [(z) => z, () => "z"],
  relu: [(z) => Math.max(z, 0), () => "max(z, 0)"],
  sigmoid: [sigmoid, () => "1 / (1 + exp(−z))"],
  tanh: [Math.tanh, () => "tanh(z)"],
  leaky_relu: [(z, o) => (z > 0 ? z : (o.negative_slope ?? 0.2) * z), (o) => `z if z > 0, else ${o.negative_slope ?? 0.2}·z`],
  elu: [(z, o) => (z > 0 ? z : (o.alpha ?? 1) * Math.expm1(z)), (o) => `z if z > 0, else ${o.alpha ?? 1}·(exp(z) − 1)`],
  gelu: [(z, o) => (o.approximate ? 0.5 * z * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (z + 0.044715 * z ** 3)))
    : 0.5 * z * (1 + erf(z / Math.SQRT2))), (o) => (o.approximate ? "0.5·z·(1 + tanh(√(2/π)·(z + 0.044715·z³)))" : "z·Φ(z), Φ the normal CDF")],
  softplus: [(z) => Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))), () => "log(1 + exp(z))"],
  silu: [(z) => z * sigmoid(z), () => "z · sigmoid(z)"],
  swish: [(z) => z * sigmoid(z), () => "z · sigmoid(z)"],
};
function softmax(z) {
  const m = Math.max(...z), e = z.map((v) => Math.exp(v - m)), s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}
// A layer's activation on z; softmax works along the last axis, in groups of `last` values.
function activate(layer, z, last) {
  const name = layer.activation;
  if (!name || name === "linear") return z;
  if (name === "softmax") {
    const out = new Float64Array(z.length);
    for (let k = 0; k < z.length; k += last) out.set(softmax(Array.from(z.subarray(k, k + last))), k);
    return out;
  }
  const [f] = FUNCTIONS[name], options = layer.activation_options || {};
  return z.map((v) => f(v, options));
}
function activationText(layer) {
  const name = layer.activation;
  if (!name || name === "linear") return "no activation: output = z";
  if (name === "softmax") return "softmax along the last axis: exp(z − max) / Σ exp(z − max)";
  return `${name}(z) = ${FUNCTIONS[name][1](layer.activation_options || {})}`;
}

// ------------------------------------------------------------------ window layers: Conv2D and pooling
// Output (i, j) of a window layer reads input rows i*SH - pad_top ... + (KH - 1)*DH (likewise columns);
// DH, the dilation, is 1 except for a dilated Conv2D, whose taps are DH rows apart.
function windowStart(layer, i, j) {
  const s = layer.window.strides, p = layer.window.pads;
  return [i * s[0] - p[0][0], j * s[1] - p[1][0]];
}
const dilation = (layer) => layer.window.dilation;
const windowSize = (layer) => layer.window && layer.window.kernel;   // undefined for other layers

// Conv2D, one output value: z = sum over (a, b, c) of x[r + a, q + b, c] * kernel[a, b, c, f], + bias[f].
// Returns every product, so the "how" view can show them.
function convTerms(layer, x, i, j, f) {
  const [KH, KW] = layer.window.kernel, [H, W, C] = x.shape, F = layer.output_shape[2];
  const kernel = layer.params.kernel.values, [r, q] = windowStart(layer, i, j), [DH, DW] = dilation(layer), terms = [];
  for (let a = 0; a < KH; a++) for (let b = 0; b < KW; b++) for (let c = 0; c < C; c++) {
    const row = r + a * DH, col = q + b * DW, inside = row >= 0 && row < H && col >= 0 && col < W;
    const xv = inside ? x.data[(row * W + col) * C + c] : 0, wv = kernel[((a * KW + b) * C + c) * F + f];
    terms.push({a, b, c, row, col, inside, x: xv, w: wv, p: xv * wv});
  }
  return terms;
}
function conv(layer, x) {
  const [OH, OW, F] = layer.output_shape, [KH, KW] = layer.window.kernel, [H, W, C] = x.shape;
  const kernel = layer.params.kernel.values, bias = layer.params.bias ? layer.params.bias.values : null;
  const [DH, DW] = dilation(layer), z = new Float64Array(OH * OW * F);
  for (let i = 0; i < OH; i++) for (let j = 0; j < OW; j++) {
    const [r, q] = windowStart(layer, i, j), out = (i * OW + j) * F;
    for (let f = 0; f < F; f++) z[out + f] = bias ? bias[f] : 0;
    for (let a = 0; a < KH; a++) for (let b = 0; b < KW; b++) {
      const row = r + a * DH, col = q + b * DW;
      if (row < 0 || row >= H || col < 0 || col >= W) continue;          // the zero padding adds nothing
      for (let c = 0; c < C; c++) {
        const xv = x.data[(row * W + col) * C + c], k = ((a * KW + b) * C + c) * F;
        if (xv !== 0) for (let f = 0; f < F; f++) z[out + f] += xv * kernel[k + f];
      }
    }
  }
  return {shape: layer.output_shape, data: activate(layer, z, F), z};
}
// Pooling, one output value: the window's cells that lie inside the input ("same" padding adds none).
function poolCells(layer, x, i, j, c) {
  const [PH, PW] = layer.window.kernel, [H, W, C] = x.shape, [r, q] = windowStart(layer, i, j), cells = [];
  for (let a = 0; a < PH; a++) for (let b = 0; b < PW; b++) {
    const row = r + a, col = q + b;
    if (row >= 0 && row < H && col >= 0 && col < W) cells.push({a, b, row, col, v: x.data[(row * W + col) * C + c]});
  }
  return cells;
}
// Max: the first largest cell in row-major order wins (np.argmax's rule); NaN wins as in np.max.
function maxWinner(values) {
  let best = 0;
  for (let k = 1; k < values.length; k++) {
    if (Number.isNaN(values[best])) break;
    if (values[k] > values[best] || Number.isNaN(values[k])) best = k;
  }
  return best;
}
const poolValue = (layer, cells) => (layer.type === "MaxPooling2D" ? cells[maxWinner(cells.map((e) => e.v))].v
  : cells.reduce((s, e) => s + e.v, 0) / cells.length);
// The whole layer: the same rule as poolValue, without making a cell object per value.
function pool(layer, x) {
  const [OH, OW, C] = layer.output_shape, [PH, PW] = layer.window.kernel, [H, W] = x.shape, isMax = layer.type === "MaxPooling2D";
  const out = new Float64Array(OH * OW * C);
  for (let i = 0; i < OH; i++) for (let j = 0; j < OW; j++) {
    const [r, q] = windowStart(layer, i, j), o = (i * OW + j) * C;
    for (let c = 0; c < C; c++) {
      let best = -Infinity, sum = 0, count = 0;
      for (let a = Math.max(0, -r); a < PH && r + a < H; a++) for (let b = Math.max(0, -q); b < PW && q + b < W; b++) {
        const v = x.data[((r + a) * W + q + b) * C + c];
        if (best === best && !(v <= best)) best = v;                  // a larger value, or NaN, which then stays
        sum += v; count++;
      }
      out[o + c] = isMax ? best : sum / count;
    }
  }
  return {shape: layer.output_shape, data: out};
}

// ------------------------------------------------------------------ the other layers
function dense(layer, x) {
  const [D_] = layer.input_shape, U = layer.units, kernel = layer.params.kernel.values;
  const z = new Float64Array(U);
  if (layer.params.bias) z.set(layer.params.bias.values);
  for (let d = 0; d < D_; d++) { const xv = x.data[d]; if (xv !== 0) for (let u = 0; u < U; u++) z[u] += xv * kernel[d * U + u]; }
  return {shape: layer.output_shape, data: activate(layer, z, U), z};
}
function zeroPad(layer, x) {
  const [[top], [left]] = layer.padding, [H, W, C] = x.shape, [, OW] = layer.output_shape;
  const out = new Float64Array(size(layer.output_shape));
  for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) for (let c = 0; c < C; c++)
    out[((i + top) * OW + j + left) * C + c] = x.data[(i * W + j) * C + c];
  return {shape: layer.output_shape, data: out};
}
// The channel c of a map, as a plain array of its H*W values.
function channelValues(x, c) {
  const [H, W, C] = x.shape;
  return Array.from({length: H * W}, (_, k) => x.data[k * C + c]);
}
function globalPool(layer, x) {
  const C = x.shape[2], out = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const v = channelValues(x, c);
    out[c] = layer.type === "GlobalMaxPooling2D" ? v[maxWinner(v)] : v.reduce((a, b) => a + b, 0) / v.length;
  }
  return {shape: layer.output_shape, data: out};
}
// BatchNormalization at inference, per channel c: γ (x − moving mean) / √(moving variance + ε) + β.
function batchNormNumbers(layer, c) {
  const p = layer.params, get = (name, fallback) => (p[name] ? p[name].values[c] : fallback);
  return {gamma: get("gamma", 1), beta: get("beta", 0), mean: p.moving_mean.values[c], variance: p.moving_variance.values[c]};
}
function batchNorm(layer, x) {
  const C = x.shape[x.shape.length - 1], numbers = Array.from({length: C}, (_, c) => batchNormNumbers(layer, c));
  const data = x.data.map((v, k) => { const n = numbers[k % C]; return n.gamma * (v - n.mean) / Math.sqrt(n.variance + layer.epsilon) + n.beta; });
  return {shape: layer.output_shape, data};
}
const same = (layer, x) => ({shape: layer.output_shape, data: x.data});       // the same numbers, maybe a new shape

// ------------------------------------------------------------------ the registry
// Every layer type the page runs: its forward pass and what it does, in a sentence or two.
// PAGE_LAYERS in explain.py maps each layer class of minicnn.layers to one of these.
const LAYERS = {
  Conv2D: {run: conv, text: (l) => `Each output value is the sum of a ${l.window.kernel.join("×")} window of every input channel ` +
    `multiplied by one filter's weights (its kernel), plus a bias, then ${l.activation || "no activation"}. ` +
    `Each of the ${l.output_shape[2]} filters slides over the input and makes one output channel.`},
  MaxPooling2D: {run: pool, text: (l) => `Each output value is the largest value of a ${l.window.kernel.join("×")} window of one channel: ` +
    "the map gets smaller and the strongest response of each window survives."},
  AveragePooling2D: {run: pool, text: (l) => `Each output value is the mean of a ${l.window.kernel.join("×")} window of one channel ` +
    "(of the cells inside the image, with \"same\" padding)."},
  GlobalAveragePooling2D: {run: globalPool, text: () => "Each channel's whole map becomes one number: its mean."},
  GlobalMaxPooling2D: {run: globalPool, text: () => "Each channel's whole map becomes one number: its largest value."},
  ZeroPadding2D: {run: zeroPad, text: (l) => `Adds ${l.padding[0].join(" and ")} rows and ${l.padding[1].join(" and ")} columns of zeros ` +
    "around each map, so that the next window layer also centres windows on the border pixels."},
  Dense: {run: dense, text: (l) => `Each of the ${l.units} units is the sum of all ${l.input_shape[0]} inputs multiplied by ` +
    `its own weights, plus a bias, then ${l.activation || "no activation"}.`},
  BatchNormalization: {run: batchNorm, text: () => "Shifts and scales each channel with four numbers fixed in training: " +
    "out = γ·(x − moving mean) / √(moving variance + ε) + β. At inference they are constants."},
  Flatten: {run: same, text: (l) => `Lays the ${size(l.input_shape)} values out in one row (row by row, channels fastest); nothing is computed.`},
  Reshape: {run: same, text: (l) => `Gives the same values, in the same order, the shape ${l.output_shape.join("×")}; nothing is computed.`},
  Rescaling: {run: (l, x) => ({shape: x.shape, data: x.data.map((v) => v * l.scale + l.offset)}),
    text: (l) => `Multiplies every value by ${l.scale} and adds ${l.offset}.`},
  Dropout: {run: same, text: (l) => `In training it sets a random ${l.rate * 100}% of the values to zero and scales the rest ` +
    "by 1 / (1 − rate); at inference, as here, it is the identity: the output equals the input."},
  Augmentation: {run: same, text: (l) => `${l.class} changes each training image at random; at inference, as here, ` +
    "it does nothing: the output equals the input."},
  Activation: {run: (l, x) => ({shape: x.shape, data: activate(l, x.data, x.shape[x.shape.length - 1])}),
    text: (l) => `Applies ${l.activation} to every value on its own: ${activationText(l).replace(/^.*?= /, "f(z) = ")}.`},
};
const PRECOMPUTED = {text: (l) => `${l.class} is not one of minicnn's layers: the page shows its output as Python computed it.`};

// acts[0] is the image, acts[k + 1] the output of layer k. `image` is n (a bundled image) or a Float32Array.
function forward(image) {
  const n = typeof image === "number" ? image : null;
  const input = n === null ? image : IMAGES.subarray(n * IMAGE_SIZE, (n + 1) * IMAGE_SIZE);
  const acts = [{shape: D.input_shape, data: Float64Array.from(input)}];
  D.layers.forEach((layer, k) => {
    const per = size(layer.output_shape);
    if (layer.outputValues && n !== null) acts.push({shape: layer.output_shape, data: Float64Array.from(layer.outputValues.subarray(n * per, (n + 1) * per))});
    else if (layer.outputValues) acts.push({shape: layer.output_shape, data: new Float64Array(per).fill(NaN), missing: true});
    else acts.push(LAYERS[layer.type].run(layer, acts[k]));
  });
  return acts;
}
// The class probabilities of one forward pass: the last output, or its softmax for a logits head.
const probabilitiesOf = (acts) => { const last = Array.from(acts[acts.length - 1].data); return D.logits_head ? softmax(last) : last; };
