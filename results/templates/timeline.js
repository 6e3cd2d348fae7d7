// faultline timeline: draws only the ops on screen from the JSON in #tl-data onto a canvas.
// Time runs down; one column per process (or per worker's successive processes); fault
// periods are shaded across the columns and named in the nemesis column on the left.
// Every text from the history reaches the page through textContent or canvas fillText,
// never through HTML.
(function () {
  "use strict";
  var root = document.getElementById("timeline");
  var dataEl = document.getElementById("tl-data");
  if (!root || !dataEl) { return; }
  var data = JSON.parse(dataEl.textContent);
  // Ticks (µs, or op positions for imports without times) to ms. Each column's ops come packed
  // (base64 of varints: start delta, duration, head = outcome | 4 when the process changes,
  // [process], index delta, text id); they are unpacked into typed arrays: s (start, ms),
  // e (end, ms), o (outcome), x (index), p (process), t (text id).
  var unit = data.real_time ? 1000 : 1;
  data.end /= unit;
  data.faults.forEach(function (f) { f[0] /= unit; f[1] /= unit; });
  function unpack(col) {
    var raw = atob(col.data), at = 0, n = col.n;
    function next() {
      var v = 0, scale = 1, b;
      do { b = raw.charCodeAt(at++); v += (b & 127) * scale; scale *= 128; } while (b >= 128);
      return v;
    }
    var ops = { s: new Float64Array(n), e: new Float64Array(n), o: new Uint8Array(n),
      x: new Float64Array(n), p: new Float64Array(n), t: new Uint32Array(n), length: n };
    var start = 0, index = 0, process = 0;
    for (var i = 0; i < n; i++) {
      start += next();
      var duration = next(), head = next();
      if (head & 4) { process = next(); }
      index += next();
      ops.s[i] = start / unit; ops.e[i] = (start + duration) / unit; ops.o[i] = head & 3;
      ops.x[i] = index; ops.p[i] = process; ops.t[i] = next();
    }
    return ops;
  }
  data.cols.forEach(function (col) { col.ops = unpack(col); delete col.data; });
  var scroller = document.getElementById("tl-scroll");
  var space = document.getElementById("tl-space");
  var canvas = document.getElementById("tl-canvas");
  var tip = document.getElementById("tl-tip");
  var info = document.getElementById("tl-info");
  var ctx = canvas.getContext("2d");
  var GUTTER = 64, NEMESIS = 110, HEAD = 22;
  var COLORS = ["#6DB6FE", "#FEB5DA", "#FFAA26", "#dddddd"];
  var OUTCOMES = ["ok", "fail", "info", "never completed"];
  var cols = data.cols;
  var colW = 0;
  var pxPerMs = 1;
  var selected = null;

  function fitScale() {
    var h = Math.max(200, scroller.clientHeight - HEAD - 10);
    return data.end > 0 ? h / data.end : 1;
  }

  function layout() {
    var avail = Math.max(200, scroller.clientWidth - GUTTER - NEMESIS - 20);
    colW = cols.length ? Math.max(36, Math.min(160, Math.floor(avail / cols.length))) : 40;
    space.style.width = (GUTTER + NEMESIS + colW * cols.length + 10) + "px";
    space.style.height = (HEAD + data.end * pxPerMs + 40) + "px";
    var ratio = window.devicePixelRatio || 1;
    canvas.width = scroller.clientWidth * ratio;
    canvas.height = scroller.clientHeight * ratio;
    canvas.style.width = scroller.clientWidth + "px";
    canvas.style.height = scroller.clientHeight + "px";
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  }

  // First op in a column whose end is at or after t (ends are sorted within a column).
  function firstEndingAfter(ops, t) {
    var lo = 0, hi = ops.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (ops.e[mid] < t) { lo = mid + 1; } else { hi = mid; }
    }
    return lo;
  }

  function yOf(t) { return HEAD + t * pxPerMs - scroller.scrollTop; }

  function timeStep(msSpan) {
    var steps = [1, 2, 5];
    var base = data.real_time ? 0.001 : 1;
    for (;;) {
      for (var i = 0; i < steps.length; i++) {
        if (base * steps[i] >= msSpan) { return base * steps[i]; }
      }
      base *= 10;
    }
  }

  function fmtTime(t) {
    if (!data.real_time) { return "#" + Math.round(t); }
    if (t === 0) { return "0"; }
    return t >= 1000 ? (t / 1000).toFixed(t % 1000 === 0 ? 0 : 3) + " s" : t.toFixed(t < 1 ? 3 : 1) + " ms";
  }

  function draw() {
    var w = scroller.clientWidth, h = scroller.clientHeight;
    ctx.clearRect(0, 0, w, h);
    var sx = scroller.scrollLeft;
    var t0 = Math.max(0, (scroller.scrollTop - HEAD) / pxPerMs);
    var t1 = (scroller.scrollTop + h) / pxPerMs;
    var drawn = 0;
    // Fault periods: shaded bands and their names in the nemesis column.
    ctx.font = "11px sans-serif";
    data.faults.forEach(function (f) {
      if (f[1] < t0 || f[0] > t1) { return; }
      var y0 = yOf(f[0]), y1 = Math.max(yOf(f[1]), y0 + 2);
      ctx.fillStyle = "rgba(230,80,60,0.10)";
      ctx.fillRect(GUTTER - sx, y0, w + sx, y1 - y0);
      ctx.fillStyle = "rgba(230,80,60,0.55)";
      ctx.fillRect(GUTTER + 4 - sx, y0, NEMESIS - 8, y1 - y0);
      ctx.fillStyle = "#000";
      ctx.save();
      ctx.beginPath();
      ctx.rect(GUTTER + 4 - sx, Math.max(y0, HEAD), NEMESIS - 8, y1 - Math.max(y0, HEAD));
      ctx.clip();
      ctx.fillText(f[2] + (f[3] ? "" : " (not healed)"), GUTTER + 7 - sx, Math.max(y0, HEAD) + 12);
      ctx.restore();
      drawn++;
    });
    // Ops, column by column; boxes that would land on the pixel row just drawn are merged.
    for (var c = 0; c < cols.length; c++) {
      var x = GUTTER + NEMESIS + c * colW - sx;
      if (x + colW < 0 || x > w) { continue; }
      var ops = cols[c].ops;
      var lastY = -1e9, lastOutcome = -1;
      for (var i = firstEndingAfter(ops, t0); i < ops.length && ops.s[i] <= t1; i++) {
        var y0 = yOf(ops.s[i]);
        var y1 = yOf(ops.e[i]);
        var hgt = Math.max(1, y1 - y0);
        var outcome = ops.o[i];
        if (hgt < 2 && Math.floor(y0) === lastY && outcome === lastOutcome) { continue; }
        lastY = Math.floor(y0);
        lastOutcome = outcome;
        ctx.fillStyle = COLORS[outcome];
        ctx.fillRect(x + 2, y0, colW - 4, hgt);
        drawn++;
        if (selected !== null && ops.x[i] === selected) {
          ctx.strokeStyle = "#d00";
          ctx.lineWidth = 3;
          ctx.strokeRect(x + 1, y0 - 1, colW - 2, hgt + 2);
        }
        if (hgt >= 13 && colW >= 40) {
          ctx.save();
          ctx.beginPath();
          ctx.rect(x + 2, y0, colW - 4, hgt);
          ctx.clip();
          ctx.fillStyle = "#000";
          ctx.fillText(data.texts[ops.t[i]], x + 4, y0 + 11);
          ctx.restore();
        }
      }
    }
    // Time axis on the left, column heads on top (drawn last, over the ops).
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, GUTTER, h);
    ctx.fillRect(0, 0, w, HEAD);
    ctx.fillStyle = "#333";
    var step = timeStep(70 / pxPerMs);
    for (var t = Math.floor(t0 / step) * step; t <= t1; t += step) {
      var y = yOf(t);
      if (y < HEAD) { continue; }
      ctx.fillText(fmtTime(t), 4, y + 4);
      ctx.fillRect(GUTTER - 6, y, 6, 1);
    }
    ctx.fillText("nemesis", GUTTER + 8 - sx, 15);
    for (c = 0; c < cols.length; c++) {
      x = GUTTER + NEMESIS + c * colW - sx;
      if (x + colW < GUTTER || x > w) { continue; }
      ctx.save();
      ctx.beginPath();
      ctx.rect(x, 0, colW, HEAD);
      ctx.clip();
      ctx.fillText(cols[c].label, x + 4, 15);
      ctx.restore();
    }
    root.dataset.drawn = String(drawn);
    info.textContent = cols.length + " columns, " + (t1 - t0 < data.end ? fmtTime(t0) + " to " + fmtTime(Math.min(t1, data.end)) : "whole run") + ", " + drawn + " boxes drawn";
  }

  // What is under the pointer, as text: a fault in the nemesis column, else an op.
  function textAt(clientX, clientY) {
    var r = scroller.getBoundingClientRect();
    var x = clientX - r.left + scroller.scrollLeft;
    var t = (clientY - r.top + scroller.scrollTop - HEAD) / pxPerMs;
    if (x >= GUTTER && x < GUTTER + NEMESIS) {
      for (var k = 0; k < data.faults.length; k++) {
        var f = data.faults[k];
        if (f[0] <= t && t <= f[1]) {
          return "fault: " + f[2] + "\n" + fmtTime(f[0]) + " → " + (f[3] ? fmtTime(f[1]) : "never healed");
        }
      }
      return null;
    }
    return opAt(x, t);
  }

  // The op under (x, t) described, or null.
  function opAt(x, t) {
    var c = Math.floor((x - GUTTER - NEMESIS) / colW);
    if (c < 0 || c >= cols.length) { return null; }
    var slack = 2 / pxPerMs;
    var ops = cols[c].ops;
    var i = firstEndingAfter(ops, t - slack);
    return i < ops.length && ops.s[i] <= t + slack ? describe(ops, i) : null;
  }

  function describe(ops, i) {
    var s = ops.s[i], e = ops.e[i], o = ops.o[i];
    return "op " + ops.x[i] + " · process " + ops.p[i] + " · " + OUTCOMES[o] + "\n" + data.texts[ops.t[i]] +
      "\n" + fmtTime(s) + " → " + (o === 3 ? "never completed" : fmtTime(e) + " (" + fmtTime(e - s) + ")");
  }

  var pending = false;
  function redraw() {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () { pending = false; draw(); });
  }

  function zoom(factor, anchorY) {
    var y = anchorY === undefined ? scroller.clientHeight / 2 : anchorY;
    var t = (scroller.scrollTop + y - HEAD) / pxPerMs;
    pxPerMs = Math.min(200, Math.max(fitScale(), pxPerMs * factor));
    layout();
    scroller.scrollTop = HEAD + t * pxPerMs - y;
    draw();
  }

  // Scroll the timeline to the op with this index, zoomed so it is readable, and mark it.
  function focusOp(index) {
    for (var c = 0; c < cols.length; c++) {
      var ops = cols[c].ops;
      for (var i = 0; i < ops.length; i++) {
        if (ops.x[i] === index) {
          selected = index;
          root.dataset.selected = String(index);
          pxPerMs = Math.min(200, Math.max(pxPerMs, 30 / Math.max(0.01, ops.e[i] - ops.s[i])));
          layout();
          scroller.scrollTop = HEAD + ops.s[i] * pxPerMs - scroller.clientHeight / 3;
          scroller.scrollLeft = Math.max(0, c * colW - 100);
          draw();
          root.scrollIntoView({ behavior: "auto", block: "start" });
          return true;
        }
      }
    }
    return false;
  }

  scroller.addEventListener("scroll", redraw);
  window.addEventListener("resize", function () { layout(); redraw(); });
  scroller.addEventListener("wheel", function (e) {
    if (!e.ctrlKey) { return; }
    e.preventDefault();
    var r = scroller.getBoundingClientRect();
    zoom(e.deltaY < 0 ? 1.25 : 0.8, e.clientY - r.top);
  }, { passive: false });
  scroller.addEventListener("mousemove", function (e) {
    var text = textAt(e.clientX, e.clientY);
    if (!text) { tip.hidden = true; return; }
    tip.textContent = text;
    tip.hidden = false;
    var r = root.getBoundingClientRect();
    tip.style.left = (e.clientX - r.left + 14) + "px";
    tip.style.top = (e.clientY - r.top + 14) + "px";
  });
  scroller.addEventListener("mouseleave", function () { tip.hidden = true; });
  document.getElementById("tl-in").addEventListener("click", function () { zoom(2); });
  document.getElementById("tl-out").addEventListener("click", function () { zoom(0.5); });
  document.getElementById("tl-fit").addEventListener("click", function () {
    pxPerMs = fitScale(); layout(); scroller.scrollTop = 0; draw();
  });
  // Show fault k (in data.faults order, as in the faults table) with some time around it.
  function focusFault(k) {
    var f = data.faults[k];
    if (!f) { return; }
    var span = Math.max(f[1] - f[0], data.end / 1000, 1e-6);
    pxPerMs = Math.min(200, Math.max(fitScale(), 0.5 * (scroller.clientHeight - HEAD) / span));
    layout();
    scroller.scrollTop = HEAD + (f[0] - 0.4 * span) * pxPerMs;
    draw();
    root.dataset.fault = String(k);
    root.scrollIntoView({ behavior: "auto", block: "start" });
  }

  // Links: #op-INDEX (INDEX of the invocation) shows the op, #fault-K the K-th fault.
  function focusFromHash() {
    var m = /^#op-(\d+)$/.exec(window.location.hash);
    if (m) { focusOp(Number(m[1])); }
    var f = /^#fault-(\d+)$/.exec(window.location.hash);
    if (f) { focusFault(Number(f[1])); }
  }
  window.addEventListener("hashchange", focusFromHash);
  pxPerMs = fitScale();
  layout();
  draw();
  focusFromHash();
  // For benchmarks: ms from navigation start until the timeline was first drawn.
  root.dataset.readyMs = String(Math.round(window.performance.now()));
})();
