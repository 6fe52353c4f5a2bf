// minicnn explain, part 3 of 3: your own image. Draw it (one-channel models) or drop or pick a picture file;
// the page resizes it to the model's input, runs the whole forward pass itself, and every view shows it.
const [OWN_H, OWN_W, OWN_C] = D.input_shape, PEN = 8;      // PEN: drawing-canvas pixels per model pixel
const own = {invert: false, source: null};     // the invert box, and the picture shown

// Any picture -> the model's input: stretched to H x W by the browser's smoothing, then grey = the mean of
// red, green and blue (one-channel models) or the three channels as they are, times pixel_scale.
function toModelInput(picture) {
  const small = el("canvas", {width: OWN_W, height: OWN_H}), ctx = small.getContext("2d");
  ctx.fillStyle = "#000"; ctx.fillRect(0, 0, OWN_W, OWN_H);         // transparent parts count as black
  ctx.imageSmoothingEnabled = true; ctx.imageSmoothingQuality = "high";
  ctx.drawImage(picture, 0, 0, OWN_W, OWN_H);
  const rgba = ctx.getImageData(0, 0, OWN_W, OWN_H).data, x = new Float32Array(OWN_H * OWN_W * OWN_C);
  for (let k = 0; k < OWN_H * OWN_W; k++) {
    const rgb = [0, 1, 2].map((i) => (own.invert ? 255 - rgba[4 * k + i] : rgba[4 * k + i]));
    if (OWN_C === 3) rgb.forEach((v, i) => (x[3 * k + i] = v * D.pixel_scale));
    else x[k * OWN_C] = ((rgb[0] + rgb[1] + rgb[2]) / 3) * D.pixel_scale;
  }
  return x;
}
function runOwn(picture) {
  own.source = picture;
  state.own = toModelInput(picture);
  const start = performance.now();
  const acts = forward(state.own);
  const forwardMs = performance.now() - start;                   // the benchmark reads it
  state.image = "own"; stopSweep(); state.acts = acts;
  drawStrip(); render();
  const p = probabilitiesOf(acts), best = argmax(p);
  document.getElementById("own-result").textContent = `${D.class_names[best]} ${(100 * p[best]).toFixed(1)}%`;
  window.explainOwn = {input: Array.from(state.own), probabilities: p, forwardMs};
}
function ownPanel() {
  const box = document.getElementById("own"), file = el("input", {type: "file", accept: "image/*", id: "own-file"});
  const pad = el("canvas", {id: "draw", width: OWN_W * PEN, height: OWN_H * PEN, title: "draw here"});
  const ctx = pad.getContext("2d"), clear = el("button", {text: "clear", id: "own-clear"});
  const invert = el("label", {}, el("input", {type: "checkbox", id: "own-invert"}), " invert");
  const wipe = () => { ctx.fillStyle = "#000"; ctx.fillRect(0, 0, pad.width, pad.height); };
  wipe();
  pad.style.width = Math.min(112, OWN_W * 4) + "px"; pad.style.height = Math.min(112, OWN_W * 4) * OWN_H / OWN_W + "px";
  // Drawing: white strokes on black, as Fashion-MNIST's bright objects on a black background.
  let last = null, pending = false;
  const point = (e) => { const r = pad.getBoundingClientRect(); return [(e.clientX - r.left) * pad.width / r.width, (e.clientY - r.top) * pad.height / r.height]; };
  const update = () => { if (!pending) { pending = true; requestAnimationFrame(() => { pending = false; runOwn(pad); }); } };
  pad.onpointerdown = (e) => { last = point(e); pad.setPointerCapture(e.pointerId); stroke(point(e)); };
  pad.onpointermove = (e) => { if (last) stroke(point(e)); };
  pad.onpointerup = () => { last = null; update(); };
  function stroke(to) {
    ctx.strokeStyle = "#fff"; ctx.lineWidth = 2.2 * PEN; ctx.lineCap = "round";
    ctx.beginPath(); ctx.moveTo(...last); ctx.lineTo(...to); ctx.stroke();
    last = to; update();
  }
  clear.onclick = () => { wipe(); runOwn(pad); };
  invert.firstChild.onchange = (e) => { own.invert = e.target.checked; if (own.source) runOwn(own.source); };
  const load = (picked) => {
    if (!picked) return;
    createImageBitmap(picked).then(runOwn, () => (document.getElementById("own-result").textContent = `could not read ${picked.name} as a picture`));
  };
  file.onchange = () => load(file.files[0]);
  box.ondragover = (e) => e.preventDefault();
  box.ondrop = (e) => { e.preventDefault(); load(e.dataTransfer.files[0]); };
  const how = `${OWN_C === 1 ? "Draw, or drop" : "Drop"} a picture here (or pick a file): it is stretched to ${OWN_H}×${OWN_W} by the browser's smoothing, ` +
    `${OWN_C === 1 ? "made grey (the mean of red, green and blue)" : "kept in colour"} and ${D.pixel_scale === 1 ? "kept in 0-255" : "divided by 255"}, ` +
    "as the bundled images were; the page then runs the whole network on it. Photos usually need \"invert\" (a dark object on a light background).";
  box.replaceChildren(el("div", {class: "own-title", text: "Your own image"}),
    el("div", {class: "row"}, OWN_C === 1 ? pad : el("div"), el("div", {class: "own-controls"}, file, el("div", {}, clear, invert),
      el("div", {id: "own-result", class: "own-result"}), el("p", {class: "hint", text: how}))));
  box.onclick = (e) => { if (state.image !== "own" && state.own && e.target === box) selectImage("own"); };
}

ownPanel();
selectImage(0);
window.explainReady = performance.now();       // the benchmark reads this: the page is interactive
document.body.dataset.ready = "1";
