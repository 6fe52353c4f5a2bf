// minicnn explain, part 2 of 3: the four views of the page, drawn from forward.js's numbers.

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
// H x W pixels painted by paint(k) -> [r, g, b] (k = i*W + j), shown `px` screen pixels per value.
function pixelCanvas(H, W, px, paint) {
  const canvas = el("canvas", {width: W, height: H}), ctx = canvas.getContext("2d"), img = ctx.createImageData(W, H);
  for (let k = 0; k < H * W; k++) {
    const rgb = paint(k);
    img.data[4 * k] = rgb[0]; img.data[4 * k + 1] = rgb[1]; img.data[4 * k + 2] = rgb[2]; img.data[4 * k + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  canvas.style.width = W * px + "px"; canvas.style.height = H * px + "px";
  return canvas;
}
// One channel of an (H, W, C) tensor (or a vector, as one row) in the colour scale.
function mapCanvas(t, c, px, scale) {
  const [H, W, C] = t.shape.length === 3 ? t.shape : [1, t.shape[0], 1];
  return pixelCanvas(H, W, px, (k) => colour(t.data[k * C + c], scale));
}
// An input image as it looks: grey for one channel, red-green-blue for three. The page's images are
// in [0, 1] (or 0-255 if the model was given 0-255 pixels: pixel_scale 1).
const SHOW = D.pixel_scale === 1 ? 1 / 255 : 1;
const byte = (v) => 255 * Math.min(Math.max(v * SHOW, 0), 1);
function imageRGB(t, k) {
  const C = t.shape[2];
  return C === 3 ? [byte(t.data[3 * k]), byte(t.data[3 * k + 1]), byte(t.data[3 * k + 2])] : Array(3).fill(byte(t.data[k * C]));
}
const imageCanvas = (t, px) => pixelCanvas(t.shape[0], t.shape[1], px, (k) => imageRGB(t, k));
function outline(canvas, px, rows, cols, colourName = "#e67e22") {
  const box = el("div", {class: "box", style: `position:absolute;border:2px solid ${colourName};left:${cols[0] * px - 1}px;top:${rows[0] * px - 1}px;` +
    `width:${(cols[1] - cols[0] + 1) * px - 2}px;height:${(rows[1] - rows[0] + 1) * px - 2}px;pointer-events:none`});
  return el("div", {style: "position:relative;display:inline-block"}, canvas, box);
}
const at = (t, i, j, c) => (i * t.shape[1] + j) * t.shape[2] + c;       // index of (i, j, c) in an (H, W, C) tensor

// ------------------------------------------------------------------ state and the image strip
// state.image: n, a bundled image, or "own", the reader's (own_image.js).
const state = {image: 0, acts: null, layer: null, channel: 0, pos: [0, 0], camClass: null, timer: null, own: null};
const label = (n) => (D.labels && n !== "own" ? D.class_names[D.labels[n]] : "");
const argmax = (p) => p.indexOf(Math.max(...p));
const predicted = (n) => argmax(n === "own" ? probabilitiesOf(state.acts) : D.probabilities[n]);
function drawStrip() {
  const strip = document.getElementById("images");
  strip.replaceChildren();
  for (let n = 0; n < D.n_images; n++) {
    const wrong = D.labels && D.labels[n] !== predicted(n);
    const image = {shape: D.input_shape, data: IMAGES.subarray(n * IMAGE_SIZE, (n + 1) * IMAGE_SIZE)};
    const box = el("div", {class: "pick" + (wrong ? " wrong" : "") + (n === state.image ? " selected" : ""), id: "img-" + n,
      title: `image ${n}: ${D.labels ? "true " + label(n) + ", " : ""}predicted ${D.class_names[predicted(n)]}`},
      imageCanvas(image, Math.max(1, Math.floor(56 / D.input_shape[1]))), el("div", {class: "label", text: (wrong ? "✗ " : "") + D.class_names[predicted(n)]}));
    box.onclick = () => selectImage(n);
    strip.append(box);
  }
  document.getElementById("own").classList.toggle("selected", state.image === "own");
}
function selectImage(n) {
  stopSweep();
  state.image = n; state.acts = forward(n === "own" ? state.own : n);
  drawStrip(); render();
}

// ------------------------------------------------------------------ view 1: overview
function probabilityBars(target, onClick) {
  const shown = probabilitiesOf(state.acts), n = state.image, box = el("div", {class: "bars"});
  D.class_names.forEach((name, k) => {
    const isTrue = D.labels && D.labels[n] === k;
    const bits = [el("span", {text: name + (isTrue ? " (true)" : "")}),
      el("div", {}, el("div", {class: "bar" + (isTrue ? " true" : ""), style: `width:${(shown[k] * 100).toFixed(1)}%`})),
      el("span", {class: "num", text: (shown[k] * 100).toFixed(2) + "%"})];
    bits.forEach((b) => { b.classList.add("bar-row"); b.onclick = () => onClick(k); box.append(b); });
  });
  target.replaceChildren(el("h3", {text: `Class probabilities of ${n === "own" ? "your image" : "image " + n}` +
    (D.logits_head ? " (the softmax of the model's outputs, its logits)" : "")}), box);
}
// A column's pictures: each channel's map, or one small square per unit, each opening "how it is computed".
function thumbs(layer, k, t) {
  const isClass = k === D.layers.length - 1 && t.shape.length === 1 && t.shape[0] === D.class_names.length;
  if (t.shape.length === 3) {
    const [H, W, C] = t.shape, px = Math.max(1, Math.round(30 / Math.max(H, W))), scale = scaleOf(t.data);
    const grid = el("div", {class: "thumbs", style: `grid-template-columns:repeat(${C > 16 ? 4 : C > 4 ? 2 : 1}, auto)`});
    for (let c = 0; c < C; c++) {
      const cv = mapCanvas(t, c, px, scale);
      cv.className = "thumb"; cv.dataset.layer = k; cv.dataset.channel = c; cv.title = `${layer.name}, channel ${c}`;
      cv.onclick = () => openCompute(k, c);
      grid.append(cv);
    }
    return grid;
  }
  const U = t.shape[0], per = isClass ? 1 : U > 32 ? 8 : 1, scale = scaleOf(t.data);
  const grid = el("div", {class: "thumbs", style: `grid-template-columns:repeat(${per}, auto)${isClass ? " max-content" : ""}`});
  for (let u = 0; u < U; u++) {
    const cell = el("div", {class: "thumb", title: `${layer.name}, ${isClass ? D.class_names[u] : "unit " + u}: ${fmt(t.data[u])}`,
      style: `width:12px;height:12px;background:rgb(${colour(t.data[u], scale).join(",")})`});
    cell.dataset.layer = k; cell.dataset.channel = u;
    cell.onclick = () => openCompute(k, u);
    grid.append(cell);
    if (isClass) grid.append(el("span", {class: "unit-name", text: D.class_names[u]}));
  }
  return grid;
}
// Layers whose output is their input (at inference) or its values in one row: a note, not a copy of the pictures.
const NOTED = {Dropout: "the identity at inference: the same values as the layer before", Augmentation: "the identity at inference: the same values as the layer before"};
function overview() {
  const last = D.layers[D.layers.length - 1];
  document.getElementById("overview-hint").textContent = "Each column is a layer; each small square is one channel's output for the selected " +
    "image (white 0, blue positive, red negative; one colour scale per layer). Click a square to see how its values are computed; " +
    `click a class to see ${last.activation === "softmax" ? "its softmax" : "its score"}.`;
  probabilityBars(document.getElementById("probs"), (k) => openCompute(D.layers.length - 1, k));
  const columns = document.getElementById("columns");
  columns.replaceChildren(el("div", {class: "column"}, el("h4", {html: "<b>input</b>" + D.input_shape.join("×")}), imageCanvas(state.acts[0], 3)));
  D.layers.forEach((layer, k) => {
    const t = state.acts[k + 1], col = el("div", {class: "column", id: "col-" + k}), big = t.shape.length === 1 && t.shape[0] > 512;
    col.append(el("h4", {html: `<b>${layer.name}</b>${layer.class}${layer.activation && layer.activation !== "linear" && layer.type !== "Activation" ? " (" + layer.activation + ")" : ""}<br>${layer.output_shape.join("×")}`}));
    if (NOTED[layer.type] || big) {
      const open = el("button", {class: "thumb open", text: "a value", "data-layer": k, "data-channel": 0});
      open.onclick = () => openCompute(k, 0);
      col.append(el("div", {class: "note", text: NOTED[layer.type] || `its ${size(layer.output_shape)} values, too many to draw`}), open);
    } else {
      col.append(thumbs(layer, k, t));
    }
    columns.append(col);
  });
}

// ------------------------------------------------------------------ view 2: how one value is computed
function openCompute(k, c) {
  state.layer = k; state.channel = c; state.pos = [0, 0]; state.slice = undefined;
  showView("compute");
}
// The layers a value's channel survives: windows of one channel (pooling), elementwise maps, padding.
const KEEPS_CHANNELS = new Set(["MaxPooling2D", "AveragePooling2D", "ZeroPadding2D", "BatchNormalization", "Rescaling", "Dropout", "Augmentation"]);
const keepsChannels = (layer) => KEEPS_CHANNELS.has(layer.type) || (layer.type === "Activation" && layer.activation !== "softmax");
// The receptive field of one value of layer k, walked down to the image: [layer index m, rows, cols, channel
// or null], its field in the input of layer m (acts[m]); the value's channel while every layer on the way keeps it.
function layersBelow(k, rows, cols, channel) {
  const fields = [];
  for (let m = k; m >= 0; m--) {
    const layer = D.layers[m];
    if (layer.input_shape.length !== 3 || layer.output_shape.length !== 3) return fields;
    if (windowSize(layer)) {
      const [KH, KW] = windowSize(layer), [DH, DW] = dilation(layer);
      const [r0, q0] = windowStart(layer, rows[0], cols[0]), [r1, q1] = windowStart(layer, rows[1], cols[1]);
      rows = [r0, r1 + (KH - 1) * DH]; cols = [q0, q1 + (KW - 1) * DW];
    } else if (layer.type === "ZeroPadding2D") {
      rows = rows.map((r) => r - layer.padding[0][0]); cols = cols.map((q) => q - layer.padding[1][0]);
    }
    if (!keepsChannels(layer)) channel = null;                     // e.g. Conv2D: every input channel
    const [H, W] = layer.input_shape;
    fields.push([m, [Math.max(rows[0], 0), Math.min(rows[1], H - 1)], [Math.max(cols[0], 0), Math.min(cols[1], W - 1)], channel]);
  }
  return fields;
}
function meanOfChannels(t) {
  const [H, W, C] = t.shape, out = new Float64Array(H * W);
  for (let k = 0; k < H * W; k++) { let s = 0; for (let c = 0; c < C; c++) s += t.data[k * C + c]; out[k] = s / C; }
  return {shape: [H, W, 1], data: out};
}
function receptiveFields(i, j) {
  const figures = layersBelow(state.layer, [i, i], [j, j], state.channel).map(([m, rows, cols, c]) => {
    const t = state.acts[m], p = Math.max(2, Math.floor(112 / Math.max(t.shape[0], t.shape[1])));
    const picture = m === 0 ? imageCanvas(t, p) : c !== null ? mapCanvas(t, c, p, scaleOf(channelValues(t, c)))
      : t.shape[2] === 1 ? mapCanvas(t, 0, p, scaleOf(t.data)) : (() => { const flat = meanOfChannels(t); return mapCanvas(flat, 0, p, scaleOf(flat.data)); })();
    const what = m === 0 ? "input image" : D.layers[m - 1].name + (c !== null ? `, channel ${c}` : t.shape[2] > 1 ? ` (mean of ${t.shape[2]} channels)` : "");
    return el("figure", {}, outline(picture, p, rows, cols), el("figcaption", {text: `${what}: rows ${rows[0]}-${rows[1]}, cols ${cols[0]}-${cols[1]}`}));
  });
  return [el("h3", {text: "Receptive field of this value in the input of the layer and in every layer below"}), el("div", {class: "below"}, ...figures.reverse())];
}
function compute() {
  const head = document.getElementById("compute-head"), body = document.getElementById("compute-body");
  if (state.layer === null) {
    head.replaceChildren(el("p", {class: "hint", text: "Click a channel or a unit of any layer in the Overview first: this view shows how its values are computed, with the real numbers."}));
    body.replaceChildren();
    return;
  }
  const layer = D.layers[state.layer], out = state.acts[state.layer + 1], x = state.acts[state.layer], spec = LAYERS[layer.type] || PRECOMPUTED;
  const isClass = state.layer === D.layers.length - 1 && out.shape.length === 1;
  const which = out.shape.length === 3 ? `channel ${state.channel}` : isClass ? `unit ${state.channel} (${D.class_names[state.channel]})` : `unit ${state.channel}`;
  head.replaceChildren(el("h2", {text: `${layer.name} (${layer.class}), ${which}, ${state.image === "own" ? "your image" : "image " + state.image}`}),
    el("p", {class: "hint", id: "layer-text", text: spec.text(layer)}));
  if (out.shape.length === 3) return mapView(layer, x, out, body);
  const calc = el("div", {class: "panel", id: "calc"});
  body.replaceChildren(calc);
  calc.replaceChildren(...detailOf(layer)(layer, x, out, null, null, state.channel)[0]);
}
const posHead = (i, j, c) => el("h3", {id: "calc-pos", "data-i": i, "data-j": j, "data-channel": c, "data-layer": state.layer, text: `Value at row ${i}, column ${j}, channel ${c}`});
const unitHead = (u, text) => el("h3", {id: "calc-pos", "data-unit": u, "data-channel": u, "data-layer": state.layer, text});
const result = (label, v) => el("div", {class: "formula", html: `${label} = <span class="v" id="calc-out">${fmt(v)}</span>`});
const line = (html) => el("div", {html});
// The output map of the chosen channel: hover (or sweep) a value; window layers also show the flow from the layer below.
function mapView(layer, x, out, body) {
  const [OH, OW] = out.shape, px = Math.max(4, Math.floor(240 / Math.max(OH, OW))), isWindow = Boolean(windowSize(layer));
  const outCanvas = mapCanvas(out, state.channel, px, scaleOf(channelValues(out, state.channel)));
  outCanvas.id = "out-canvas";
  const pick = (e) => {
    const r = outCanvas.getBoundingClientRect();
    const i = Math.min(OH - 1, Math.max(0, Math.floor((e.clientY - r.top) / px))), j = Math.min(OW - 1, Math.max(0, Math.floor((e.clientX - r.left) / px)));
    if (i !== state.pos[0] || j !== state.pos[1]) { stopSweep(); state.pos = [i, j]; detail(); }
  };
  outCanvas.onmousemove = pick; outCanvas.onclick = pick;
  const outHolder = el("div"), inHolder = el("div"), lines = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  lines.setAttribute("class", "flow-lines");
  const flow = el("div", {class: "panel flow", id: "flow"});
  const calc = el("div", {class: "panel", id: "calc"}), below = el("div", {class: "panel"});
  if (isWindow) {
    flow.append(el("h3", {text: "The window in the layer below (left) and the value it makes (right): hover the output, or sweep the window"}),
      el("div", {class: "row flow-row"}, el("figure", {}, inHolder, el("figcaption", {id: "flow-in-caption"})),
        el("figure", {}, outHolder, el("figcaption", {text: `output, ${OH}×${OW}, channel ${state.channel}`}))), lines, sweepControls(OH, OW, () => detail()));
  } else {
    flow.append(el("h3", {text: `Output, ${OH}×${OW}, channel ${state.channel}: hover a value`}), outHolder);
  }
  body.replaceChildren(el("div", {class: "row"}, flow, calc), below);
  function detail() {
    const [i, j] = state.pos;
    outHolder.replaceChildren(outline(outCanvas, px, [i, i], [j, j], "#111"));
    const [parts, inputChannel] = detailOf(layer)(layer, x, out, i, j, state.channel);
    calc.replaceChildren(...parts);
    if (isWindow) drawFlow(layer, x, i, j, inputChannel, px, inHolder, outHolder, lines, flow);
    below.replaceChildren(...receptiveFields(i, j));
  }
  state.redraw = detail;
  detail();
}
// The input channel c of a window layer with its padding drawn around it (grey), the window outlined,
// and lines from the window's corners to the output value's corners, as CNN Explainer draws them.
function drawFlow(layer, x, i, j, c, outPx, inHolder, outHolder, lines, flow) {
  const [H, W] = x.shape, [[top, bottom], [left, right]] = layer.window.pads, PH = H + top + bottom, PW = W + left + right;
  const px = Math.max(3, Math.min(outPx, Math.floor(240 / Math.max(PH, PW)))), scale = scaleOf(channelValues(x, c));
  const canvas = pixelCanvas(PH, PW, px, (k) => {
    const row = Math.floor(k / PW) - top, col = (k % PW) - left;
    return row < 0 || row >= H || col < 0 || col >= W ? [225, 225, 225] : colour(x.data[at(x, row, col, c)], scale);
  });
  const [r, q] = windowStart(layer, i, j), [KH, KW] = windowSize(layer), [DH, DW] = dilation(layer);
  const rows = [r + top, r + top + (KH - 1) * DH], cols = [q + left, q + left + (KW - 1) * DW];
  inHolder.replaceChildren(outline(canvas, px, rows, cols, "#111"));
  document.getElementById("flow-in-caption").textContent = `${state.layer === 0 ? "input image" : D.layers[state.layer - 1].name}, channel ${c}` +
    (top + bottom + left + right ? ", padding in grey" : "");
  const box = flow.getBoundingClientRect(), from = inHolder.querySelector(".box").getBoundingClientRect(), to = outHolder.querySelector(".box").getBoundingClientRect();
  lines.setAttribute("width", box.width); lines.setAttribute("height", box.height);
  const corners = (b) => [[b.right, b.top], [b.right, b.bottom], [b.left, b.top], [b.left, b.bottom]];
  lines.innerHTML = corners(from).map(([x1, y1], k) => { const [x2, y2] = corners(to)[k]; return `<line x1="${x1 - box.left}" y1="${y1 - box.top}" x2="${x2 - box.left}" y2="${y2 - box.top}"/>`; }).join("");
}
// The kernel sweep: the window visits every output value in row-major order.
function sweepControls(OH, OW, redraw) {
  const step = () => { const k = (state.pos[0] * OW + state.pos[1] + 1) % (OH * OW); state.pos = [Math.floor(k / OW), k % OW]; redraw(); };
  const play = el("button", {id: "sweep-play", text: "▶ play"}), pause = el("button", {id: "sweep-pause", text: "❚❚ pause"}), next = el("button", {id: "sweep-step", text: "step ›"});
  play.onclick = () => { stopSweep(); state.timer = setInterval(step, 300); };
  pause.onclick = stopSweep;
  next.onclick = () => { stopSweep(); step(); };
  return el("div", {class: "sweep"}, play, pause, next, el("span", {class: "hint", text: " the window slides over the layer below; each stop computes one output value"}));
}
function stopSweep() { if (state.timer) clearInterval(state.timer); state.timer = null; }

const tap = (name, d) => (d === 1 ? name : `${d}${name}`);       // a dilated tap: rows 2a apart
// A small table of numbers; cells of the padding read "pad", not 0, so they do not pass for real zeros.
const mini = (rows) => el("table", {class: "mini"}, ...rows.map((r) => el("tr", {}, ...r.map((v) => el("td", {text: v, title: v, class: v === "pad" ? "pad" : ""})))));
function convDetail(layer, x, out, i, j, f) {
  const terms = convTerms(layer, x, i, j, f), C = x.shape[2], [KH, KW] = layer.window.kernel;
  const bias = layer.params.bias ? layer.params.bias.values[f] : 0, sum = terms.reduce((s, t) => s + t.p, 0), z = sum + bias;
  const partial = Array.from({length: C}, (_, c) => terms.filter((t) => t.c === c).reduce((s, t) => s + t.p, 0));
  // The input channel shown in full: the user's pick, else the one that adds the most to z.
  const c = state.slice !== undefined && state.slice < C ? state.slice : partial.reduce((b, v, k) => (Math.abs(v) > Math.abs(partial[b]) ? k : b), 0);
  const part = terms.filter((t) => t.c === c);
  const grid = (key) => Array.from({length: KH}, (_, a) => part.slice(a * KW, (a + 1) * KW).map((t) => (t.inside || key === "w" ? fmt(t[key]) : "pad")));
  const slices = el("div", {class: "channels"});
  partial.forEach((v, k) => {
    const chip = el("div", {class: "chan" + (k === c ? " active" : ""), text: `c${k}: ${fmt(v)}`});
    chip.onclick = () => { state.slice = k; state.redraw(); };
    slices.append(chip);
  });
  return [[posHead(i, j, f),
    el("p", {class: "hint", text: `z = Σ over a < ${KH}, b < ${KW}, c < ${C} of x[${i}·${layer.window.strides[0]}+${tap("a", dilation(layer)[0])}−${layer.window.pads[0][0]}, ${j}·${layer.window.strides[1]}+${tap("b", dilation(layer)[1])}−${layer.window.pads[1][0]}, c] × kernel[a, b, c, ${f}]  + bias[${f}]`}),
    el("h3", {text: `Input channel ${c}: window × kernel slice = products (click another channel below)`}),
    el("div", {class: "row"}, el("div", {}, el("div", {text: "window x"}), mini(grid("x"))), el("div", {}, el("div", {text: `kernel[:, :, ${c}, ${f}]`}), mini(grid("w"))),
      el("div", {}, el("div", {text: "products"}), mini(grid("p")))),
    el("h3", {text: `Sum of the products per input channel (${C} channel${C > 1 ? "s" : ""}, ${terms.length} products)`}), slices,
    el("div", {class: "formula"},
      line(`sum of products = <span class="v" id="calc-sum">${fmt(sum)}</span>`),
      line(`+ bias = <span class="v" id="calc-bias">${fmt(bias)}</span>`),
      line(`z = <span class="v" id="calc-z">${fmt(z)}</span>`)),
    result(activationText(layer), out.data[at(out, i, j, f)])], c];
}
function poolDetail(layer, x, out, i, j, c) {
  const cells = poolCells(layer, x, i, j, c), isMax = layer.type === "MaxPooling2D";
  const best = isMax ? maxWinner(cells.map((e) => e.v)) : -1, value = poolValue(layer, cells);
  const [PH, PW] = layer.window.kernel, table = el("table", {class: "mini"});
  for (let a = 0; a < PH; a++) {
    const tr = el("tr");
    for (let b = 0; b < PW; b++) {
      const k = cells.findIndex((e) => e.a === a && e.b === b);
      tr.append(el("td", {class: k < 0 ? "pad" : k === best ? "winner" : "", text: k < 0 ? "outside" : fmt(cells[k].v)}));
    }
    table.append(tr);
  }
  return [[posHead(i, j, c),
    el("p", {class: "hint", text: isMax ? "The largest value of the window wins (highlighted); only it receives a gradient in training."
      : `The mean of the ${cells.length} cells of the window inside the input.`}), table,
    el("div", {class: "formula", html: `${isMax ? "max" : "mean"} = <span class="v" id="calc-out">${fmt(value)}</span>` +
      (isMax ? `, from input row ${cells[best].row}, column ${cells[best].col}` : "")})], c];
}
function denseDetail(layer, x, out, i, j, u) {
  const U = layer.units, kernel = layer.params.kernel.values, D_ = x.shape[0], isClass = state.layer === D.layers.length - 1;
  const terms = Array.from({length: D_}, (_, d) => ({d, x: x.data[d], w: kernel[d * U + u], p: x.data[d] * kernel[d * U + u]}));
  const sum = terms.reduce((s, t) => s + t.p, 0), bias = layer.params.bias ? layer.params.bias.values[u] : 0, z = sum + bias;
  const top = terms.slice().sort((a, b) => Math.abs(b.p) - Math.abs(a.p)).slice(0, 12), rest = sum - top.reduce((s, t) => s + t.p, 0);
  const from = state.layer > 0 && D.layers[state.layer - 1].type === "Flatten" ? D.layers[state.layer - 1].input_shape : null;
  const where = (d) => (from && from.length === 3 ? ` (row ${Math.floor(d / (from[1] * from[2]))}, col ${Math.floor(d / from[2]) % from[1]}, channel ${d % from[2]})` : "");
  const rows = top.map((t) => el("tr", {}, el("td", {text: `x[${t.d}]${where(t.d)}`}), el("td", {class: "num", text: fmt(t.x)}),
    el("td", {class: "num", text: fmt(t.w)}), el("td", {class: "num", text: fmt(t.p)})));
  const parts = [unitHead(u, `${isClass ? D.class_names[u] : "Unit " + u}: the ${top.length} largest contributions of ${D_}`),
    el("table", {}, el("tr", {}, ...["input", "x", "w", "x × w"].map((h) => el("th", {text: h}))), ...rows,
      el("tr", {}, el("td", {text: `the other ${D_ - top.length} inputs`}), el("td"), el("td"), el("td", {class: "num", text: fmt(rest)}))),
    el("div", {class: "formula"}, line(`sum of products = <span class="v" id="calc-sum">${fmt(sum)}</span>`),
      line(`+ bias = <span class="v" id="calc-bias">${fmt(bias)}</span>`),
      line(`z = <span class="v" id="calc-z">${fmt(z)}</span>`))];
  if (layer.activation === "softmax") parts.push(softmaxTable(Array.from(out.z), u));
  parts.push(result(layer.activation === "softmax" ? "p" : activationText(layer), out.data[u]));
  return [parts, null];
}
function softmaxTable(zs, u) {
  const m = Math.max(...zs), e = zs.map((v) => Math.exp(v - m)), s = e.reduce((a, b) => a + b, 0);
  const name = (k) => (zs.length === D.class_names.length ? D.class_names[k] : String(k));
  return el("div", {}, el("h3", {text: "Softmax: p_k = exp(z_k − max z) / Σ_j exp(z_j − max z)"}),
    el("table", {}, el("tr", {}, ...["", "z", "exp(z − max)", "p"].map((h) => el("th", {text: h}))),
      ...zs.map((v, k) => el("tr", {class: k === u ? "winner" : ""}, el("td", {text: name(k)}), el("td", {class: "num", text: fmt(v)}),
        el("td", {class: "num", text: fmt(e[k])}), el("td", {class: "num", text: fmt(e[k] / s)}))),
      el("tr", {}, el("td", {text: "sum"}), el("td"), el("td", {class: "num", text: fmt(s)}), el("td", {class: "num", text: "1"}))));
}
// Layers that map each value on its own (or copy it): the input value, the rule, the output value.
function elementDetail(layer, x, out, i, j, c) {
  const k = i === null ? c : at(out, i, j, c), v = x.data[k], y = out.data[k], head = i === null ? unitHead(c, `Unit ${c}`) : posHead(i, j, c);
  const parts = [head, el("div", {class: "formula"}, line(`input x = <span class="v" id="calc-in">${fmt(v)}</span>`))];
  if (layer.type === "BatchNormalization") {
    const n = batchNormNumbers(layer, c);
    parts.push(el("table", {}, ...[["γ (gamma)", n.gamma], ["β (beta)", n.beta], ["moving mean", n.mean], ["moving variance", n.variance]]
      .map(([name, value]) => el("tr", {}, el("td", {text: `${name} of channel ${c}`}), el("td", {class: "num", text: fmt(value)}))),
      el("tr", {}, el("td", {text: "ε (every channel)"}), el("td", {class: "num", text: fmt(layer.epsilon)}))),
      result(`${fmt(n.gamma)} × (${fmt(v)} − ${fmt(n.mean)}) / √(${fmt(n.variance)} + ${layer.epsilon}) + ${fmt(n.beta)}`, y));
  } else if (layer.type === "Rescaling") {
    parts.push(result(`x × ${layer.scale} + ${layer.offset}`, y));
  } else if (layer.type === "Activation" && layer.activation === "softmax") {
    const last = out.shape[out.shape.length - 1], start = k - (k % last);
    parts.push(softmaxTable(Array.from(x.data.subarray(start, start + last)), k - start), result("p", y));
  } else if (layer.type === "Activation") {
    parts.push(result(activationText(layer).replace(/z/g, "x"), y));
  } else {
    parts.push(result("the identity at inference: output = x", y));
  }
  return [parts, c];
}
function zeroPadDetail(layer, x, out, i, j, c) {
  const r = i - layer.padding[0][0], q = j - layer.padding[1][0], inside = r >= 0 && r < x.shape[0] && q >= 0 && q < x.shape[1];
  return [[posHead(i, j, c), el("p", {class: "hint", text: inside ? `a copy of the input at row ${r}, column ${q}` : "a cell of the padding: a zero that was not in the input"}),
    result("output", out.data[at(out, i, j, c)])], c];
}
function globalDetail(layer, x, out, i, j, c) {
  const [H, W] = x.shape, values = channelValues(x, c), isMax = layer.type === "GlobalMaxPooling2D", best = maxWinner(values);
  const p = Math.max(3, Math.floor(140 / Math.max(H, W))), picture = mapCanvas(x, c, p, scaleOf(values));
  const [r, q] = [Math.floor(best / W), best % W];
  return [[unitHead(c, `Channel ${c}`), el("figure", {}, isMax ? outline(picture, p, [r, r], [q, q], "#111") : picture,
    el("figcaption", {text: `channel ${c} of ${state.layer === 0 ? "the input" : D.layers[state.layer - 1].name}, ${H}×${W}`})),
    result(isMax ? `the largest of its ${H * W} values (row ${r}, column ${q})` : `the mean of its ${H * W} values`, out.data[c])], c];
}
function reshapeDetail(layer, x, out, i, j, c) {
  const k = i === null ? c : at(out, i, j, c), s = x.shape;
  const from = s.length === 3 ? `row ${Math.floor(k / (s[1] * s[2]))}, column ${Math.floor(k / s[2]) % s[1]}, channel ${k % s[2]}` : `value ${k}`;
  return [[i === null ? unitHead(c, `Value ${c}`) : posHead(i, j, c), el("p", {class: "hint", text: `value ${k} in row-major order: the input's ${from}`}), result("output", out.data[k])], c];
}
const DETAILS = {Conv2D: convDetail, MaxPooling2D: poolDetail, AveragePooling2D: poolDetail, Dense: denseDetail, ZeroPadding2D: zeroPadDetail,
  GlobalAveragePooling2D: globalDetail, GlobalMaxPooling2D: globalDetail, Flatten: reshapeDetail, Reshape: reshapeDetail};
function precomputedDetail(layer, x, out, i, j, c) {
  const k = i === null ? c : at(out, i, j, c);
  return [[i === null ? unitHead(c, `Value ${c}`) : posHead(i, j, c), result("output, as Python computed it", out.data[k])], c];
}
const detailOf = (layer) => (layer.outputValues ? precomputedDetail : DETAILS[layer.type] || elementDetail);

// ------------------------------------------------------------------ view 3: where it looked
// Every class's map of an image shares one scale (0 to the largest value of any of them), so a class
// the model found no evidence for stays dark; the legend gives the scale in the units of the class score.
function legend(scale) {
  const bar = pixelCanvas(1, 100, 1, (k) => heat(k / 99));
  bar.style.width = "200px"; bar.style.height = "12px";
  return el("figure", {class: "legend"}, bar, el("figcaption", {html: `<span>0</span><span id="cam-scale">${fmt(scale)}</span>`}));
}
function camView() {
  const view = document.getElementById("view-cam");
  if (!D.cam) { view.replaceChildren(el("p", {class: "hint", text: "This model has no Conv2D layer: no heatmap to show."})); return; }
  if (state.image === "own") {
    view.replaceChildren(el("p", {class: "hint", id: "cam-own", text: "Where it looked needs the gradient of the class score, which this page does not compute: " +
      "it is shown for the bundled images only. Pick one of them in the strip above."}));
    return;
  }
  const [, K, H, W] = D.cam.shape, maps = D.cam.values || (D.cam.values = bytesOf(D.cam.data));
  const n = state.image, k = state.camClass === null ? predicted(n) : state.camClass, scale = D.cam.scales[n];
  const map = {shape: [H, W, 1], data: Array.from(maps.subarray(((n * K) + k) * H * W, ((n * K) + k + 1) * H * W), (v) => v / 255)};
  const image = state.acts[0], mix = (p) => { const rgb = imageRGB(image, p), h = heat(map.data[p]); return h.map((v, i) => 0.55 * v + 0.45 * rgb[i]); };
  const buttons = el("div", {class: "classes"});
  D.class_names.forEach((name, c) => {
    const b = el("button", {class: c === k ? "active" : "", text: `${name} ${(D.probabilities[n][c] * 100).toFixed(1)}%`});
    b.onclick = () => { state.camClass = c; camView(); };
    buttons.append(b);
  });
  const method = D.cam.method === "cam" ? "Class Activation Map (CAM): the last conv maps weighted by the Dense kernel's column of the class, upsampled"
    : `Grad-CAM at ${D.cam.layer}: its maps weighted by the mean gradient of the class score, upsampled`;
  view.replaceChildren(el("h2", {text: `Where it looked for "${D.class_names[k]}" in image ${n}`}),
    el("p", {class: "hint", text: `${method}. Only evidence for the class is drawn (values below 0 are cut). All the classes of this image ` +
      "share one scale, 0 to the largest value of any of their maps, so a class the model finds no evidence for stays dark. Pick a class:"}), buttons,
    el("div", {class: "row"}, el("figure", {}, imageCanvas(image, 8), el("figcaption", {text: "image"})),
      el("figure", {}, pixelCanvas(H, W, 8, (p) => heat(map.data[p])), el("figcaption", {text: "heatmap (bright: evidence for the class)"})),
      el("figure", {}, pixelCanvas(H, W, 8, mix), el("figcaption", {text: "overlay"})), legend(scale)),
    Math.max(...map.data) === 0 ? el("p", {class: "advice", id: "cam-none", text: `The map of "${D.class_names[k]}" is 0 everywhere: ` +
      "its weighted sum of maps is below 0 at every position, so no region of this image adds evidence for it by this measure, " +
      "even if the model predicts it. Grad-CAM averages gradients that can cancel; the other classes' maps show where the model did look."}) : "");
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
  stopSweep();
  current = name;
  document.querySelectorAll("#tabs button").forEach((b) => b.classList.toggle("active", b.dataset.view === name));
  document.querySelectorAll(".view").forEach((v) => (v.hidden = v.id !== "view-" + name));
  render();
}
function render() { VIEWS[current](); }
document.querySelectorAll("#tabs button").forEach((b) => (b.onclick = () => showView(b.dataset.view)));
document.getElementById("title").textContent = D.title;
