// minicnn explain: the page's own forward pass and its four views.
// Tensors are {shape: [H, W, C] or [U], data: Float64Array}; element (i, j, c) sits at (i*W + j)*C + c,
// channels-last as in minicnn. Kernels keep Keras's layout: Conv2D (KH, KW, C, F), Dense (D, U).
"use strict";
const D = JSON.parse(document.getElementById("data").textContent);

// ------------------------------------------------------------------ data: base64 -> typed arrays
function bytesOf(b64) {
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

// ------------------------------------------------------------------ the forward pass, one layer type at a time
const ACT = {
  linear: (z) => z,
  relu: (z) => z.map((v) => Math.max(v, 0)),
  softmax: (z) => { const m = Math.max(...z), e = z.map((v) => Math.exp(v - m)), s = e.reduce((a, b) => a + b, 0);
                    return e.map((v) => v / s); },
};
function activate(name, z) { return name ? ACT[name](z) : z; }

// Output (i, j) of a window layer reads input rows i*SH - pad_top ... + (KH - 1)*DH (likewise columns);
// DH, the dilation, is 1 except for a dilated Conv2D, whose taps are DH rows apart.
function windowStart(layer, i, j) {
  const s = layer.strides, p = layer.pads;
  return [i * s[0] - p[0][0], j * s[1] - p[1][0]];
}
const dilation = (layer) => layer.dilation_rate || [1, 1];

// Conv2D, one output value: z = sum over (a, b, c) of x[r + a, q + b, c] * kernel[a, b, c, f], + bias[f].
// Returns every product, so the "how" view can show them.
function convTerms(layer, x, i, j, f) {
  const [KH, KW] = layer.kernel_size, [H, W, C] = x.shape, F = layer.output_shape[2];
  const kernel = layer.params.kernel.values, [r, q] = windowStart(layer, i, j), [DH, DW] = dilation(layer), terms = [];
  for (let a = 0; a < KH; a++) for (let b = 0; b < KW; b++) for (let c = 0; c < C; c++) {
    const row = r + a * DH, col = q + b * DW, inside = row >= 0 && row < H && col >= 0 && col < W;
    const xv = inside ? x.data[(row * W + col) * C + c] : 0, wv = kernel[((a * KW + b) * C + c) * F + f];
    terms.push({a, b, c, row, col, inside, x: xv, w: wv, p: xv * wv});
  }
  return terms;
}
function conv(layer, x) {
  const [OH, OW, F] = layer.output_shape, [KH, KW] = layer.kernel_size, [H, W, C] = x.shape;
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
  return {shape: layer.output_shape, data: activateMaps(layer.activation, z, F)};
}
function activateMaps(name, z, F) {                      // softmax works along the channel axis
  if (name !== "softmax") return activate(name, z);
  const out = new Float64Array(z.length);
  for (let k = 0; k < z.length; k += F) out.set(ACT.softmax(z.slice(k, k + F)), k);
  return out;
}
// Pooling, one output value: the window's cells that lie inside the input.
function poolCells(layer, x, i, j, c) {
  const [PH, PW] = layer.pool_size, [H, W, C] = x.shape, [r, q] = windowStart(layer, i, j), cells = [];
  for (let a = 0; a < PH; a++) for (let b = 0; b < PW; b++) {
    const row = r + a, col = q + b;
    if (row >= 0 && row < H && col >= 0 && col < W) cells.push({a, b, row, col, v: x.data[(row * W + col) * C + c]});
  }
  return cells;
}
// Max pooling: the first largest cell in row-major order wins (np.argmax's rule); NaN wins as in np.max.
function poolWinner(cells) {
  let best = 0;
  for (let k = 1; k < cells.length; k++) {
    if (Number.isNaN(cells[best].v)) break;
    if (cells[k].v > cells[best].v || Number.isNaN(cells[k].v)) best = k;
  }
  return best;
}
function pool(layer, x) {
  const [OH, OW, C] = layer.output_shape, out = new Float64Array(OH * OW * C);
  for (let i = 0; i < OH; i++) for (let j = 0; j < OW; j++) for (let c = 0; c < C; c++) {
    const cells = poolCells(layer, x, i, j, c);
    out[(i * OW + j) * C + c] = layer.type === "MaxPooling2D" ? cells[poolWinner(cells)].v
      : cells.reduce((s, e) => s + e.v, 0) / cells.length;
  }
  return {shape: layer.output_shape, data: out};
}
function dense(layer, x) {
  const [D_] = layer.input_shape, U = layer.units, kernel = layer.params.kernel.values;
  const z = new Float64Array(U);
  if (layer.params.bias) z.set(layer.params.bias.values);
  for (let d = 0; d < D_; d++) { const xv = x.data[d]; if (xv !== 0) for (let u = 0; u < U; u++) z[u] += xv * kernel[d * U + u]; }
  return {shape: layer.output_shape, data: activate(layer.activation, z), z};
}
function zeroPad(layer, x) {
  const [[top], [left]] = layer.padding, [H, W, C] = x.shape, [, OW] = layer.output_shape;
  const out = new Float64Array(size(layer.output_shape));
  for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) for (let c = 0; c < C; c++)
    out[((i + top) * OW + j + left) * C + c] = x.data[(i * W + j) * C + c];
  return {shape: layer.output_shape, data: out};
}
function globalAverage(layer, x) {
  const [H, W, C] = x.shape, out = new Float64Array(C);
  for (let k = 0; k < H * W; k++) for (let c = 0; c < C; c++) out[c] += x.data[k * C + c];
  return {shape: layer.output_shape, data: out.map((v) => v / (H * W))};
}
const RUN = {
  Conv2D: conv, MaxPooling2D: pool, AveragePooling2D: pool, Dense: dense, ZeroPadding2D: zeroPad,
  GlobalAveragePooling2D: globalAverage,
  Dropout: (layer, x) => x,                                            // the identity at inference
  Flatten: (layer, x) => ({shape: layer.output_shape, data: x.data}),  // row-major: the same numbers
  Activation: (layer, x) => ({shape: x.shape, data: activateMaps(layer.activation, x.data, x.shape[x.shape.length - 1])}),
};

// acts[0] is the image, acts[k + 1] the output of layer k.
function forward(n) {
  const acts = [{shape: D.input_shape, data: Float64Array.from(IMAGES.subarray(n * IMAGE_SIZE, (n + 1) * IMAGE_SIZE))}];
  D.layers.forEach((layer, k) => {
    const per = size(layer.output_shape);
    acts.push(layer.outputValues ? {shape: layer.output_shape, data: Float64Array.from(layer.outputValues.subarray(n * per, (n + 1) * per))}
      : RUN[layer.type](layer, acts[k]));
  });
  return acts;
}

// ------------------------------------------------------------------ drawing
const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) (k === "text" ? (e.textContent = v) : k === "html" ? (e.innerHTML = v) : e.setAttribute(k, v));
  kids.forEach((kid) => e.append(kid));
  return e;
};
const fmt = (v) => (Number.isFinite(v) ? (v === 0 ? "0" : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5 ? String(+v.toPrecision(7)) : v.toExponential(4)) : String(v));
// white for 0, blue for positive values, red for negative ones, scaled by the largest |value|
function colour(v, scale) {
  const t = Math.min(Math.abs(v) / (scale || 1), 1);
  return v >= 0 ? [255 - 247 * t, 255 - 207 * t, 255 - 148 * t] : [255 - 53 * t, 255 - 255 * t, 255 - 223 * t];
}
const INFERNO = [[0, 0, 4], [87, 16, 110], [188, 55, 84], [249, 142, 9], [252, 255, 164]];
function heat(t) {
  const x = Math.min(Math.max(t, 0), 1) * (INFERNO.length - 1), k = Math.min(Math.floor(x), INFERNO.length - 2), f = x - k;
  return INFERNO[k].map((v, i) => v + f * (INFERNO[k + 1][i] - v));
}
function scaleOf(data) { let m = 0; for (const v of data) if (Math.abs(v) > m) m = Math.abs(v); return m; }
// One channel of an (H, W, C) tensor as a canvas of H x W pixels, shown `px` screen pixels per value.
function mapCanvas(t, c, px, scale, paint = colour) {
  const [H, W, C] = t.shape.length === 3 ? t.shape : [1, t.shape[0], 1];
  const canvas = el("canvas", {width: W, height: H}), ctx = canvas.getContext("2d"), img = ctx.createImageData(W, H);
  for (let k = 0; k < H * W; k++) {
    const rgb = paint(t.data[k * C + c], scale);
    img.data.set([rgb[0], rgb[1], rgb[2], 255], 4 * k);
  }
  ctx.putImageData(img, 0, 0);
  canvas.style.width = W * px + "px"; canvas.style.height = H * px + "px";
  return canvas;
}
const grey = (v) => { const g = 255 * Math.min(Math.max(v, 0), 1); return [g, g, g]; };   // the image as it is: 0 black, 1 white
function outline(canvas, px, rows, cols, colourName = "#e67e22") {
  const box = el("div", {style: `position:absolute;border:2px solid ${colourName};left:${cols[0] * px - 1}px;top:${rows[0] * px - 1}px;` +
    `width:${(cols[1] - cols[0] + 1) * px - 2}px;height:${(rows[1] - rows[0] + 1) * px - 2}px;pointer-events:none`});
  const wrap = el("div", {style: "position:relative;display:inline-block"}, canvas, box);
  return wrap;
}

// ------------------------------------------------------------------ state and the image strip
const state = {image: 0, acts: null, layer: null, channel: 0, pos: [0, 0], camClass: null};
const label = (n) => (D.labels ? D.class_names[D.labels[n]] : "");
const predicted = (n) => D.probabilities[n].indexOf(Math.max(...D.probabilities[n]));
function drawStrip() {
  const strip = document.getElementById("strip");
  strip.replaceChildren();
  for (let n = 0; n < D.n_images; n++) {
    const wrong = D.labels && D.labels[n] !== predicted(n);
    const image = {shape: D.input_shape, data: IMAGES.subarray(n * IMAGE_SIZE, (n + 1) * IMAGE_SIZE)};
    const box = el("div", {class: "pick" + (wrong ? " wrong" : "") + (n === state.image ? " selected" : ""), id: "img-" + n,
      title: `image ${n}: ${D.labels ? "true " + label(n) + ", " : ""}predicted ${D.class_names[predicted(n)]}`},
      mapCanvas(image, 0, 2, 1, grey), el("div", {class: "label", text: (wrong ? "✗ " : "") + D.class_names[predicted(n)]}));
    box.onclick = () => selectImage(n);
    strip.append(box);
  }
}
function selectImage(n) {
  state.image = n; state.acts = forward(n);
  drawStrip(); render();
}

// ------------------------------------------------------------------ view 1: overview
function probabilityBars(target, onClick) {
  const probs = state.acts[state.acts.length - 1].data, n = state.image, box = el("div", {class: "bars"});
  const isProb = Math.abs(probs.reduce((a, b) => a + b, 0) - 1) < 1e-3 && Math.min(...probs) >= 0;
  const shown = isProb ? probs : D.probabilities[n];
  D.class_names.forEach((name, k) => {
    const isTrue = D.labels && D.labels[n] === k;
    const bits = [el("span", {text: name + (isTrue ? " (true)" : "")}),
      el("div", {}, el("div", {class: "bar" + (isTrue ? " true" : ""), style: `width:${(shown[k] * 100).toFixed(1)}%`})),
      el("span", {class: "num", text: (shown[k] * 100).toFixed(2) + "%"})];
    bits.forEach((b) => { b.classList.add("bar-row"); b.onclick = () => onClick(k); box.append(b); });
  });
  target.replaceChildren(el("h3", {text: "Class probabilities" + (isProb ? "" : " (softmax of the logits)")}), box);
}
function overview() {
  probabilityBars(document.getElementById("probs"), (k) => openCompute(D.layers.length - 1, k));
  const columns = document.getElementById("columns");
  columns.replaceChildren();
  const input = el("div", {class: "column"}, el("h4", {html: "<b>input</b>" + D.input_shape.join("×")}),
    mapCanvas(state.acts[0], 0, 3, 1, grey));
  columns.append(input);
  D.layers.forEach((layer, k) => {
    const t = state.acts[k + 1], col = el("div", {class: "column", id: "col-" + k});
    col.append(el("h4", {html: `<b>${layer.name}</b>${layer.type}${layer.activation && layer.activation !== "linear" ? " (" + layer.activation + ")" : ""}<br>${layer.output_shape.join("×")}`}));
    if (layer.type === "Dropout" || layer.type === "Flatten") {
      col.append(el("div", {class: "note", text: layer.type === "Dropout" ? "the identity at inference: the same values as the layer before"
        : `the ${size(layer.output_shape)} values of the layer before, in one row`}));
    } else if (t.shape.length === 3) {
      const [H, W, C] = t.shape, px = Math.max(1, Math.round(30 / Math.max(H, W))), scale = scaleOf(t.data);
      const grid = el("div", {class: "thumbs", style: `grid-template-columns:repeat(${C > 16 ? 4 : C > 4 ? 2 : 1}, auto)`});
      for (let c = 0; c < C; c++) {
        const cv = mapCanvas(t, c, px, scale);
        cv.className = "thumb"; cv.dataset.layer = k; cv.dataset.channel = c; cv.title = `${layer.name}, channel ${c}`;
        cv.onclick = () => openCompute(k, c);
        grid.append(cv);
      }
      col.append(grid);
    } else {
      const U = t.shape[0], per = U > 32 ? 8 : 1, scale = scaleOf(t.data);
      const grid = el("div", {class: "thumbs", style: `grid-template-columns:repeat(${per}, auto)`});
      for (let u = 0; u < U; u++) {
        const cell = el("div", {class: "thumb", title: `${layer.name}, unit ${u}: ${fmt(t.data[u])}`,
          style: `width:12px;height:12px;background:rgb(${colour(t.data[u], scale).join(",")})`});
        cell.dataset.layer = k; cell.dataset.channel = u;
        cell.onclick = () => openCompute(k, u);
        grid.append(cell);
      }
      col.append(grid);
    }
    columns.append(col);
  });
}

// ------------------------------------------------------------------ view 2: how one value is computed
function openCompute(k, c) {
  state.layer = k; state.channel = c; state.pos = [0, 0]; state.slice = undefined;
  showView("compute");
}
function layersBelow(k, rows, cols) {
  // The receptive field of one value of layer k, walked down to the image: [layer index + 1, rows, cols].
  const fields = [];
  for (let m = k; m >= 0; m--) {
    const layer = D.layers[m];
    if (layer.input_shape.length !== 3) return fields;
    if (layer.kernel_size || layer.pool_size) {
      const [KH, KW] = layer.kernel_size || layer.pool_size, [DH, DW] = dilation(layer);
      const [r0, q0] = windowStart(layer, rows[0], cols[0]), [r1, q1] = windowStart(layer, rows[1], cols[1]);
      rows = [r0, r1 + (KH - 1) * DH]; cols = [q0, q1 + (KW - 1) * DW];
    } else if (layer.type === "ZeroPadding2D") {
      rows = rows.map((r) => r - layer.padding[0][0]); cols = cols.map((q) => q - layer.padding[1][0]);
    }
    const [H, W] = layer.input_shape;
    fields.push([m, [Math.max(rows[0], 0), Math.min(rows[1], H - 1)], [Math.max(cols[0], 0), Math.min(cols[1], W - 1)]]);
  }
  return fields;
}
function meanOfChannels(t) {
  const [H, W, C] = t.shape, out = new Float64Array(H * W);
  for (let k = 0; k < H * W; k++) { let s = 0; for (let c = 0; c < C; c++) s += t.data[k * C + c]; out[k] = s / C; }
  return {shape: [H, W, 1], data: out};
}
function compute() {
  const head = document.getElementById("compute-head"), body = document.getElementById("compute-body");
  if (state.layer === null) {
    head.replaceChildren(el("p", {class: "hint", text: "Click a channel of a Conv2D or pooling layer (or a Dense unit) in the Overview first."}));
    body.replaceChildren();
    return;
  }
  const layer = D.layers[state.layer], out = state.acts[state.layer + 1], x = state.acts[state.layer];
  head.replaceChildren(el("h2", {text: `${layer.name} (${layer.type}), ${out.shape.length === 3 ? "channel" : "unit"} ${state.channel}, image ${state.image}`}));
  if (out.shape.length === 3 && (layer.kernel_size || layer.pool_size)) return windowView(layer, x, out, body);
  if (layer.type === "Dense") return denseView(layer, x, out, body);
  body.replaceChildren(el("p", {class: "hint", text: `${layer.type} moves or copies values without weights; pick a Conv2D, pooling or Dense layer.`}));
}
function windowView(layer, x, out, body) {
  const [OH, OW] = out.shape, px = Math.max(4, Math.floor(280 / Math.max(OH, OW)));
  const outCanvas = mapCanvas(out, state.channel, px, scaleOf(out.data));
  outCanvas.id = "out-canvas";
  const pick = (e) => {
    const r = outCanvas.getBoundingClientRect();
    const i = Math.min(OH - 1, Math.max(0, Math.floor((e.clientY - r.top) / px))), j = Math.min(OW - 1, Math.max(0, Math.floor((e.clientX - r.left) / px)));
    if (i !== state.pos[0] || j !== state.pos[1]) { state.pos = [i, j]; detail(); }
  };
  outCanvas.onmousemove = pick; outCanvas.onclick = pick;
  const outBox = el("div", {class: "panel"}, el("h3", {text: `Output, ${OH}×${OW}: hover a value`}));
  const holder = el("div");
  outBox.append(holder);
  const calc = el("div", {class: "panel", id: "calc"}), below = el("div", {class: "panel"});
  body.replaceChildren(el("div", {class: "row"}, outBox, calc), below);
  function detail() {
    const [i, j] = state.pos;
    holder.replaceChildren(outline(outCanvas, px, [i, i], [j, j], "#111"));
    (layer.type === "Conv2D" ? convDetail : poolDetail)(layer, x, out, i, j, calc);
    const figures = layersBelow(state.layer, [i, i], [j, j]).map(([m, rows, cols]) => {
      const t = state.acts[m], flat = t.shape[2] === 1 ? t : meanOfChannels(t), scale = m === 0 ? 1 : scaleOf(flat.data);
      const p = Math.max(2, Math.floor(112 / Math.max(t.shape[0], t.shape[1])));
      return el("figure", {}, outline(mapCanvas(flat, 0, p, scale, m === 0 ? grey : colour), p, rows, cols),
        el("figcaption", {text: (m === 0 ? "input image" : D.layers[m - 1].name + (t.shape[2] > 1 ? ` (mean of ${t.shape[2]} channels)` : "")) + `: rows ${rows[0]}-${rows[1]}, cols ${cols[0]}-${cols[1]}`}));
    });
    below.replaceChildren(el("h3", {text: "Receptive field of this value in the input of the layer and in every layer below"}),
      el("div", {class: "below"}, ...figures.reverse()));
  }
  detail();
}
const tap = (name, d) => (d === 1 ? name : `${d}${name}`);       // a dilated tap: rows 2a apart
const mini = (rows) => el("table", {class: "mini"}, ...rows.map((r) => el("tr", {}, ...r.map((v) => el("td", {text: v, title: v})))));
function convDetail(layer, x, out, i, j, calc) {
  const f = state.channel, terms = convTerms(layer, x, i, j, f), C = x.shape[2], [KH, KW] = layer.kernel_size;
  const bias = layer.params.bias ? layer.params.bias.values[f] : 0, sum = terms.reduce((s, t) => s + t.p, 0), z = sum + bias;
  const value = activate(layer.activation === "softmax" ? "linear" : layer.activation, [z])[0];
  const partial = Array.from({length: C}, (_, c) => terms.filter((t) => t.c === c).reduce((s, t) => s + t.p, 0));
  // The input channel shown in full: the user's pick, else the one that adds the most to z.
  const c = state.slice !== undefined && state.slice < C ? state.slice : partial.reduce((b, v, k) => (Math.abs(v) > Math.abs(partial[b]) ? k : b), 0);
  const part = terms.filter((t) => t.c === c), grid = (key) => Array.from({length: KH}, (_, a) => part.slice(a * KW, (a + 1) * KW).map((t) => fmt(t[key])));
  const slices = el("div", {class: "channels"});
  partial.forEach((v, k) => {
    const chip = el("div", {class: "chan" + (k === c ? " active" : ""), text: `c${k}: ${fmt(v)}`});
    chip.onclick = () => { state.slice = k; convDetail(layer, x, out, i, j, calc); };
    slices.append(chip);
  });
  const activation = layer.activation === "relu" ? `ReLU(z) = max(z, 0) = ` : layer.activation === "softmax" ? "softmax over channels = " : "no activation: ";
  calc.replaceChildren(
    el("h3", {id: "calc-pos", "data-i": i, "data-j": j, "data-channel": f, "data-layer": state.layer, text: `Value at row ${i}, column ${j}`}),
    el("p", {class: "hint", text: `z = Σ over a < ${KH}, b < ${KW}, c < ${C} of x[${i}·${layer.strides[0]}+${tap("a", dilation(layer)[0])}−${layer.pads[0][0]}, ${j}·${layer.strides[1]}+${tap("b", dilation(layer)[1])}−${layer.pads[1][0]}, c] × kernel[a, b, c, ${f}]  + bias[${f}]`}),
    el("h3", {text: `Input channel ${c}: window × kernel slice = products (click another channel below)`}),
    el("div", {class: "row"}, el("div", {}, el("div", {text: "window x"}), mini(grid("x"))), el("div", {}, el("div", {text: `kernel[:, :, ${c}, ${f}]`}), mini(grid("w"))),
      el("div", {}, el("div", {text: "products"}), mini(grid("p")))),
    el("h3", {text: `Sum of the products per input channel (${C} channel${C > 1 ? "s" : ""}, ${terms.length} products)`}), slices,
    el("div", {class: "formula"},
      el("div", {html: `sum of products = <span class="v" id="calc-sum">${fmt(sum)}</span>`}),
      el("div", {html: `+ bias = <span class="v" id="calc-bias">${fmt(bias)}</span>`}),
      el("div", {html: `z = <span class="v" id="calc-z">${fmt(z)}</span>`}),
      el("div", {html: `${activation}<span class="v" id="calc-out">${fmt(layer.activation === "softmax" ? out.data[(i * out.shape[1] + j) * out.shape[2] + f] : value)}</span>`})));
}
function poolDetail(layer, x, out, i, j, calc) {
  const c = state.channel, cells = poolCells(layer, x, i, j, c), isMax = layer.type === "MaxPooling2D";
  const best = isMax ? poolWinner(cells) : -1, value = isMax ? cells[best].v : cells.reduce((s, e) => s + e.v, 0) / cells.length;
  const [PH, PW] = layer.pool_size, table = el("table", {class: "mini"});
  for (let a = 0; a < PH; a++) {
    const tr = el("tr");
    for (let b = 0; b < PW; b++) {
      const k = cells.findIndex((e) => e.a === a && e.b === b);
      tr.append(el("td", {class: k === best ? "winner" : "", text: k < 0 ? "outside" : fmt(cells[k].v)}));
    }
    table.append(tr);
  }
  calc.replaceChildren(el("h3", {id: "calc-pos", "data-i": i, "data-j": j, "data-channel": c, "data-layer": state.layer, text: `Value at row ${i}, column ${j}`}),
    el("p", {class: "hint", text: isMax ? "The largest value of the window wins (highlighted); only it receives a gradient in training."
      : `The mean of the ${cells.length} cells of the window inside the input.`}), table,
    el("div", {class: "formula", html: `${isMax ? "max" : "mean"} = <span class="v" id="calc-out">${fmt(value)}</span>` +
      (isMax ? `, from input row ${cells[best].row}, column ${cells[best].col}` : "")}));
}
function denseView(layer, x, out, body) {
  const u = state.channel, U = layer.units, kernel = layer.params.kernel.values, D_ = x.shape[0];
  const terms = Array.from({length: D_}, (_, d) => ({d, x: x.data[d], w: kernel[d * U + u], p: x.data[d] * kernel[d * U + u]}));
  const sum = terms.reduce((s, t) => s + t.p, 0), bias = layer.params.bias ? layer.params.bias.values[u] : 0, z = sum + bias;
  const top = terms.slice().sort((a, b) => Math.abs(b.p) - Math.abs(a.p)).slice(0, 12), rest = sum - top.reduce((s, t) => s + t.p, 0);
  const src = state.acts[state.layer - 1 + 0], from = state.layer > 0 && D.layers[state.layer - 1].type === "Flatten" ? D.layers[state.layer - 1].input_shape : null;
  const where = (d) => (from ? ` (row ${Math.floor(d / (from[1] * from[2]))}, col ${Math.floor(d / from[2]) % from[1]}, channel ${d % from[2]})` : "");
  const rows = top.map((t) => el("tr", {}, el("td", {text: `x[${t.d}]${where(t.d)}`}), el("td", {class: "num", text: fmt(t.x)}),
    el("td", {class: "num", text: fmt(t.w)}), el("td", {class: "num", text: fmt(t.p)})));
  const parts = [el("h3", {id: "calc-pos", "data-unit": u, "data-layer": state.layer, text: `Unit ${u}${layer.activation === "softmax" ? " (" + D.class_names[u] + ")" : ""}: the ${top.length} largest contributions of ${D_}`}),
    el("table", {}, el("tr", {}, ...["input", "x", "w", "x × w"].map((h) => el("th", {text: h}))), ...rows,
      el("tr", {}, el("td", {text: `the other ${D_ - top.length} inputs`}), el("td"), el("td"), el("td", {class: "num", text: fmt(rest)}))),
    el("div", {class: "formula"}, el("div", {html: `sum of products = <span class="v" id="calc-sum">${fmt(sum)}</span>`}),
      el("div", {html: `+ bias = <span class="v" id="calc-bias">${fmt(bias)}</span>`}),
      el("div", {html: `z = <span class="v" id="calc-z">${fmt(z)}</span>`}))];
  if (layer.activation === "softmax") {
    const zs = Array.from(out.z), m = Math.max(...zs), e = zs.map((v) => Math.exp(v - m)), s = e.reduce((a, b) => a + b, 0);
    parts.push(el("h3", {text: "Softmax: p_k = exp(z_k − max z) / Σ_j exp(z_j − max z)"}),
      el("table", {}, el("tr", {}, ...["class", "z", "exp(z − max)", "p"].map((h) => el("th", {text: h}))),
        ...zs.map((v, k) => el("tr", {class: k === u ? "winner" : ""}, el("td", {text: D.class_names[k]}), el("td", {class: "num", text: fmt(v)}),
          el("td", {class: "num", text: fmt(e[k])}), el("td", {class: "num", text: fmt(e[k] / s)}))),
        el("tr", {}, el("td", {text: "sum"}), el("td"), el("td", {class: "num", text: fmt(s)}), el("td", {class: "num", text: "1"}))),
      el("div", {class: "formula", html: `p = <span class="v" id="calc-out">${fmt(out.data[u])}</span>`}));
  } else {
    parts.push(el("div", {class: "formula", html: `${layer.activation === "relu" ? "ReLU(z) = " : "output = "}<span class="v" id="calc-out">${fmt(out.data[u])}</span>`}));
  }
  body.replaceChildren(el("div", {class: "panel"}, ...parts));
}

// ------------------------------------------------------------------ view 3: where it looked
function camView() {
  const view = document.getElementById("view-cam");
  if (!D.cam) { view.replaceChildren(el("p", {class: "hint", text: "This model has no Conv2D layer: no heatmap to show."})); return; }
  const [N, K, H, W] = D.cam.shape, maps = D.cam.values || (D.cam.values = bytesOf(D.cam.data));
  const n = state.image, k = state.camClass === null ? predicted(n) : state.camClass;
  const image = state.acts[0], map = {shape: [H, W, 1], data: Array.from(maps.subarray(((n * K) + k) * H * W, ((n * K) + k + 1) * H * W), (v) => v / 255)};
  const overlay = {shape: [H, W, 1], data: map.data.map((v, p) => p)};
  const mix = (p) => { const g = image.data[p * image.shape[2]], h = heat(map.data[p]); return h.map((v) => 0.55 * v + 0.45 * 255 * g); };
  const buttons = el("div", {class: "classes"});
  D.class_names.forEach((name, c) => {
    const b = el("button", {class: c === k ? "active" : "", text: `${name} ${(D.probabilities[n][c] * 100).toFixed(1)}%`});
    b.onclick = () => { state.camClass = c; camView(); };
    buttons.append(b);
  });
  const method = D.cam.method === "cam" ? "Class Activation Map (CAM): the last conv maps weighted by the Dense kernel's column of the class"
    : `Grad-CAM at ${D.cam.layer}: its maps weighted by the mean gradient of the class score, ReLU, scaled to [0, 1]`;
  view.replaceChildren(el("h2", {text: `Where it looked for "${D.class_names[k]}" in image ${n}`}),
    el("p", {class: "hint", text: method + ". Pick a class:"}), buttons,
    el("div", {class: "row"}, el("figure", {}, mapCanvas(image, 0, 8, 1, grey), el("figcaption", {text: "image"})),
      el("figure", {}, mapCanvas(map, 0, 8, 1, (v) => heat(v)), el("figcaption", {text: "heatmap (bright: looked here)"})),
      el("figure", {}, mapCanvas(overlay, 0, 8, 1, mix), el("figcaption", {text: "overlay"}))));
}

// ------------------------------------------------------------------ view 4: model card, curves, training health
function linePlot(title, series, {log = false, width = 300, height = 160} = {}) {
  const pts = series.flatMap((s) => s.values.filter((v) => v !== null && Number.isFinite(v) && (!log || v > 0)));
  if (!pts.length) return el("div");
  const tf = (v) => (log ? Math.log10(v) : v), lo = Math.min(...pts.map(tf)), hi = Math.max(...pts.map(tf)), span = hi - lo || 1;
  const n = Math.max(...series.map((s) => s.values.length)), L = 44, B = 22, w = width - L - 8, h = height - B - 18;
  const X = (i) => L + (n > 1 ? (i * w) / (n - 1) : w / 2), Y = (v) => 18 + h - ((tf(v) - lo) / span) * h;
  const palette = ["#3a6ea5", "#e67e22", "#27ae60", "#c0392b", "#8e44ad", "#16a085", "#7f8c8d", "#d4ac0d"];
  let svg = `<svg width="${width}" height="${height + 14 * Math.ceil(series.length / 2)}"><text x="${L}" y="12" style="font-weight:bold">${title}</text>`;
  svg += `<line x1="${L}" y1="${18 + h}" x2="${L + w}" y2="${18 + h}" stroke="#999"/><line x1="${L}" y1="18" x2="${L}" y2="${18 + h}" stroke="#999"/>`;
  const tick = (v) => (log ? (10 ** v).toExponential(1) : String(+v.toPrecision(3)));
  svg += `<text x="2" y="${18 + h}">${tick(lo)}</text><text x="2" y="24">${tick(hi)}</text><text x="${L}" y="${height - 4}">epoch 1</text><text x="${L + w - 40}" y="${height - 4}">epoch ${n}</text>`;
  series.forEach((s, k) => {
    const c = palette[k % palette.length], p = s.values.map((v, i) => (v === null || !Number.isFinite(v) || (log && v <= 0) ? null : `${X(i)},${Y(v)}`)).filter(Boolean);
    svg += `<polyline fill="none" stroke="${c}" stroke-width="2" points="${p.join(" ")}"/>` + p.map((q) => `<circle cx="${q.split(",")[0]}" cy="${q.split(",")[1]}" r="2.5" fill="${c}"/>`).join("");
    svg += `<text x="${L + (k % 2) * 130}" y="${height + 10 + 14 * Math.floor(k / 2)}" style="fill:${c}">${s.name}</text>`;
  });
  return el("div", {html: svg + "</svg>"});
}
function cardView() {
  const view = document.getElementById("view-card"), rows = D.card, kb = (b) => (b >= 1024 ? (b / 1024).toFixed(1) + " KB" : b + " B");
  const head = ["layer", "type", "output shape", "params", "multiply-adds", "activation memory", "receptive field"];
  const table = el("table", {id: "card-table"}, el("tr", {}, ...head.map((h) => el("th", {text: h}))));
  rows.forEach((r) => table.append(el("tr", {}, el("td", {text: r.name}), el("td", {text: r.type + (r.activation && r.activation !== "linear" ? ` (${r.activation})` : "")}),
    el("td", {class: "num", text: r.output_shape.join("×")}), el("td", {class: "num", text: r.params.toLocaleString("en")}),
    el("td", {class: "num", text: r.multiply_adds.toLocaleString("en")}), el("td", {class: "num", text: kb(r.activation_bytes)}),
    el("td", {text: r.receptive_field ? `${r.receptive_field.join("×")} px, step ${r.jump[0]}` : "whole image"}))));
  const total = (key) => rows.reduce((s, r) => s + r[key], 0);
  table.append(el("tr", {}, el("th", {text: "total"}), el("td"), el("td"), el("td", {class: "num", text: total("params").toLocaleString("en")}),
    el("td", {class: "num", text: total("multiply_adds").toLocaleString("en")}), el("td", {class: "num", text: kb(total("activation_bytes"))}), el("td")));
  const parts = [el("h2", {text: `Model card: ${D.model_name}, input ${D.input_shape.join("×")}, per image`}), table,
    el("p", {class: "hint", text: "Multiply-adds and activation memory are per image (float32). The receptive field is the square of input pixels one value can depend on; the step is how far apart, in input pixels, two neighbouring values look."})];
  const H = D.history;
  if (H && H.loss) {
    const named = (keys) => keys.filter((k) => H[k]).map((k) => ({name: k, values: H[k]}));
    parts.push(el("h2", {text: "Training curves"}), el("div", {class: "row"}, linePlot("loss", named(["loss", "val_loss"])),
      linePlot("accuracy", named(["accuracy", "val_accuracy"]))));
  }
  const R = D.recorder;
  if (R && R.layers) {
    const names = Object.keys(R.layers), plot = (key, title, opts) => linePlot(title, names.filter((n) => R.layers[n][key]).map((n) => ({name: n, values: R.layers[n][key]})), opts);
    parts.push(el("h2", {text: "What each layer did during training (the training recorder)"}),
      ...D.advice.map((a) => el("div", {class: "advice" + (a.ok ? " ok" : ""), text: a.text})),
      el("div", {class: "row"}, plot("update_ratio", "update / weight per step (log)", {log: true}), plot("grad_norm", "gradient norm (log)", {log: true}),
        plot("weight_norm", "weight norm"), plot("dead_fraction", "ReLU units that never fired"), plot("act_mean", "activation mean"), plot("act_std", "activation spread (std)")));
  }
  view.replaceChildren(...parts);
}

// ------------------------------------------------------------------ tabs
const VIEWS = {overview, compute, cam: camView, card: cardView};
let current = "overview";
function showView(name) {
  current = name;
  document.querySelectorAll("#tabs button").forEach((b) => b.classList.toggle("active", b.dataset.view === name));
  document.querySelectorAll(".view").forEach((v) => (v.hidden = v.id !== "view-" + name));
  render();
}
function render() { VIEWS[current](); }
document.querySelectorAll("#tabs button").forEach((b) => (b.onclick = () => showView(b.dataset.view)));
document.getElementById("title").textContent = D.title;
selectImage(0);
window.explainReady = performance.now();       // the benchmark reads this: the page is interactive
document.body.dataset.ready = "1";
