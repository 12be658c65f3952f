// Certificate designer (/settings/designs, views/designs): boxes over the server's
// preview to select, drag, resize (corners) and nudge (arrow keys, Shift = 5 mm)
// the design's elements, snapping to the page's edges and centre lines and to the
// other elements' edges and centres; undo and redo over the form's states.
// The numeric inputs stay the source of truth: the boxes are drawn from them and
// every change is written into them, then announced with an "input" event so that
// htmx asks the server for the preview again (the form's trigger, debounced).
// Without this script the inputs alone edit the design.
(function () {
  "use strict";
  var SNAP = 2; // mm: how near an edge or centre must come to snap
  var KEEP = 100; // form states kept for undo
  var MIN = 1; // mm: the smallest box a resize leaves

  var selected = -1;
  var states = [];
  var at = -1;
  var drag = null;
  var refocus = -1;

  function editor() { return document.querySelector("[data-design-editor]"); }
  function input(i, k) {
    var f = editor();
    return f ? f.querySelector('[name="elements.' + i + "." + k + '"]') : null;
  }
  function count() {
    var n = 0;
    while (input(n, "type")) n++;
    return n;
  }
  function num(el) {
    var v = parseFloat(el ? el.value : "");
    return isFinite(v) ? v : 0;
  }
  function rect(i) {
    return { x: num(input(i, "x")), y: num(input(i, "y")), w: num(input(i, "w")), h: num(input(i, "h")) };
  }
  function round(v) { return Math.round(v * 10) / 10; }
  function clamp(v, lo, hi) { return Math.min(Math.max(v, lo), Math.max(lo, hi)); }
  function pct(v, of) { return (v / of) * 100 + "%"; }
  function page() {
    var s = document.querySelector("[data-design-stage]");
    if (!s) return null;
    var w = parseFloat(s.getAttribute("data-page-w")), h = parseFloat(s.getAttribute("data-page-h"));
    return w > 0 && h > 0 ? { w: w, h: h, stage: s } : null;
  }
  function write(i, r) {
    ["x", "y", "w", "h"].forEach(function (k) {
      var el = input(i, k);
      if (el) el.value = String(round(r[k]));
    });
  }
  // changed tells htmx (the preview) and the history that element i moved.
  function changed(i) {
    var el = input(i, "x");
    if (el) el.dispatchEvent(new Event("input", { bubbles: true }));
    commit();
  }

  // --- drawing -----------------------------------------------------------
  function box(i) {
    var b = document.createElement("div");
    b.className = "design-box";
    b.setAttribute("data-design-box", "");
    b.setAttribute("tabindex", "0");
    b.setAttribute("role", "group");
    b.setAttribute("aria-roledescription", "movable element");
    b.setAttribute("aria-describedby", "design-tools-help");
    ["nw", "ne", "sw", "se"].forEach(function (c) {
      var h = document.createElement("span");
      h.className = "design-handle";
      h.setAttribute("data-corner", c);
      h.setAttribute("aria-hidden", "true");
      b.appendChild(h);
    });
    return b;
  }
  function render() {
    var p = page();
    var overlay = document.querySelector("[data-design-overlay]");
    var tools = document.querySelector("[data-design-tools]");
    buttons();
    if (!p || !overlay) return;
    overlay.hidden = false;
    if (tools) tools.hidden = false;
    var n = count();
    if (selected >= n) selected = -1;
    var boxes = overlay.querySelectorAll("[data-design-box]");
    for (var k = boxes.length; k < n; k++) overlay.appendChild(box(k));
    for (var j = n; j < boxes.length; j++) boxes[j].remove();
    overlay.querySelectorAll("[data-design-box]").forEach(function (b, i) {
      var r = rect(i), type = input(i, "type").value;
      b.setAttribute("data-i", String(i));
      b.setAttribute("data-testid", "design-box-" + i);
      b.style.left = pct(r.x, p.w);
      b.style.top = pct(r.y, p.h);
      b.style.width = pct(r.w, p.w);
      b.style.height = pct(r.h, p.h);
      b.setAttribute("aria-label", "Element " + (i + 1) + ", " + type + ": x " + round(r.x) + ", y " + round(r.y) +
        ", " + round(r.w) + " by " + round(r.h) + " mm");
      b.classList.toggle("is-selected", i === selected);
    });
    document.querySelectorAll("[data-testid^='design-element-']").forEach(function (card) {
      card.classList.toggle("design-card-selected", card.getAttribute("data-testid") === "design-element-" + selected);
    });
  }
  function guides(list, p) {
    var overlay = document.querySelector("[data-design-overlay]");
    if (!overlay) return;
    overlay.querySelectorAll(".design-guide").forEach(function (g) { g.remove(); });
    list.forEach(function (g) {
      var d = document.createElement("div");
      d.className = "design-guide";
      d.setAttribute("data-axis", g.axis);
      d.setAttribute("data-testid", "design-guide");
      if (g.axis === "x") d.style.left = pct(g.at, p.w);
      else d.style.top = pct(g.at, p.h);
      overlay.appendChild(d);
    });
  }
  function select(i) {
    selected = i;
    render();
  }

  // --- snapping ----------------------------------------------------------
  // targets are the page's edges and centre line on one axis, and the other
  // elements' edges and centres.
  function targets(skip, axis, p) {
    var size = axis === "x" ? p.w : p.h, out = [0, size / 2, size];
    for (var j = 0, n = count(); j < n; j++) {
      if (j === skip) continue;
      var r = rect(j), a = axis === "x" ? r.x : r.y, l = axis === "x" ? r.w : r.h;
      out.push(a, a + l / 2, a + l);
    }
    return out;
  }
  // nearest is the smallest shift (within SNAP) that puts one of edges on a target.
  function nearest(edges, list) {
    var best = null;
    edges.forEach(function (e) {
      list.forEach(function (t) {
        var d = t - e;
        if (Math.abs(d) <= SNAP && (!best || Math.abs(d) < Math.abs(best.d))) best = { d: d, at: t };
      });
    });
    return best;
  }

  // --- dragging ----------------------------------------------------------
  document.addEventListener("pointerdown", function (e) {
    var overlay = e.target.closest && e.target.closest("[data-design-overlay]");
    if (!overlay || e.button !== 0) return;
    var b = e.target.closest("[data-design-box]");
    var p = page();
    if (!b || !p) {
      select(-1);
      return;
    }
    e.preventDefault();
    var i = Number(b.getAttribute("data-i"));
    select(i);
    b.focus({ preventScroll: true });
    drag = { i: i, corner: e.target.getAttribute("data-corner"), start: rect(i), px: e.clientX, py: e.clientY,
      scale: p.stage.getBoundingClientRect().width / p.w, id: e.pointerId, moved: false };
  });
  document.addEventListener("pointermove", function (e) {
    if (!drag || e.pointerId !== drag.id) return;
    var p = page();
    if (!p) return;
    e.preventDefault();
    if (!drag.moved && Math.abs(e.clientX - drag.px) + Math.abs(e.clientY - drag.py) < 3) return;
    drag.moved = true;
    var dx = (e.clientX - drag.px) / drag.scale, dy = (e.clientY - drag.py) / drag.scale;
    var s = drag.start, free = e.altKey, shown = [], r;
    if (!drag.corner) {
      r = { x: s.x + dx, y: s.y + dy, w: s.w, h: s.h };
      if (!free) {
        var sx = nearest([r.x, r.x + r.w / 2, r.x + r.w], targets(drag.i, "x", p));
        var sy = nearest([r.y, r.y + r.h / 2, r.y + r.h], targets(drag.i, "y", p));
        if (sx) { r.x += sx.d; shown.push({ axis: "x", at: sx.at }); }
        if (sy) { r.y += sy.d; shown.push({ axis: "y", at: sy.at }); }
      }
      r.x = clamp(r.x, 0, p.w - r.w);
      r.y = clamp(r.y, 0, p.h - r.h);
    } else {
      var west = drag.corner.indexOf("w") >= 0, north = drag.corner.indexOf("n") >= 0;
      var left = s.x, right = s.x + s.w, top = s.y, bottom = s.y + s.h;
      var ex = west ? left + dx : right + dx, ey = north ? top + dy : bottom + dy;
      if (!free) {
        var tx = nearest([ex], targets(drag.i, "x", p)), ty = nearest([ey], targets(drag.i, "y", p));
        if (tx) { ex += tx.d; shown.push({ axis: "x", at: tx.at }); }
        if (ty) { ey += ty.d; shown.push({ axis: "y", at: ty.at }); }
      }
      var minH = s.h === 0 ? 0 : MIN; // a horizontal line keeps no height
      if (west) left = clamp(ex, 0, right - MIN); else right = clamp(ex, left + MIN, p.w);
      if (north) top = clamp(ey, 0, bottom - minH); else bottom = clamp(ey, top + minH, p.h);
      r = { x: left, y: top, w: right - left, h: bottom - top };
    }
    write(drag.i, r);
    render();
    guides(shown, p);
  });
  function drop(e) {
    if (!drag || e.pointerId !== drag.id) return;
    var d = drag;
    drag = null;
    var p = page();
    if (p) guides([], p);
    if (d.moved) changed(d.i);
  }
  document.addEventListener("pointerup", drop);
  document.addEventListener("pointercancel", drop);

  // --- keyboard ----------------------------------------------------------
  function typing(el) {
    if (!el || !el.matches) return false;
    return el.matches("textarea, [contenteditable], input:not([type=button]):not([type=submit]):not([type=checkbox]):not([type=radio])");
  }
  var arrows = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  document.addEventListener("keydown", function (e) {
    if (!editor()) return;
    var key = (e.key || "").toLowerCase();
    if ((e.ctrlKey || e.metaKey) && (key === "z" || key === "y")) {
      if (typing(e.target)) return; // the field's own undo
      e.preventDefault();
      if (key === "y" || e.shiftKey) redo(); else undo();
      return;
    }
    var b = e.target.closest && e.target.closest("[data-design-box]");
    var d = arrows[e.key], p = page();
    if (!b || !d || !p || e.ctrlKey || e.metaKey || e.altKey) return;
    e.preventDefault();
    var i = Number(b.getAttribute("data-i")), step = e.shiftKey ? 5 : 1, r = rect(i);
    r.x = clamp(r.x + d[0] * step, 0, p.w - r.w);
    r.y = clamp(r.y + d[1] * step, 0, p.h - r.h);
    write(i, r);
    render();
    changed(i);
  });
  // Focus on a box or on an element's inputs chooses that element.
  document.addEventListener("focusin", function (e) {
    var b = e.target.closest && e.target.closest("[data-design-box]");
    if (b) {
      if (Number(b.getAttribute("data-i")) !== selected) select(Number(b.getAttribute("data-i")));
      return;
    }
    var m = /^elements\.(\d+)\./.exec(e.target.name || "");
    if (m && editor() && editor().contains(e.target) && Number(m[1]) !== selected) select(Number(m[1]));
  });

  // --- undo and redo over the form's states ---------------------------------
  function snapshot() {
    var f = editor();
    if (!f) return null;
    var out = [];
    Array.prototype.forEach.call(f.elements, function (el) {
      if (!el.name || el.name === "csrf_token" || el.type === "submit" || el.type === "button") return;
      out.push([el.name, el.value]);
    });
    return JSON.stringify(out);
  }
  function commit() {
    var s = snapshot();
    if (s === null || s === states[at]) return;
    states = states.slice(0, at + 1);
    states.push(s);
    if (states.length > KEEP) states.shift();
    at = states.length - 1;
    buttons();
  }
  function buttons() {
    var u = document.querySelector("[data-design-undo]"), r = document.querySelector("[data-design-redo]");
    if (u) u.disabled = at <= 0;
    if (r) r.disabled = at >= states.length - 1;
  }
  function undo() { if (at > 0) restore(--at); }
  function redo() { if (at < states.length - 1) restore(++at); }
  // restore puts state k back: into the inputs when the form has the same
  // inputs, else (an element added, removed or moved since) the server builds
  // the editor for it (the builder, as the add and remove buttons do).
  function restore(k) {
    var pairs = JSON.parse(states[k]), f = editor();
    buttons();
    if (!f) return;
    var same = pairs.every(function (pv) { return f.querySelector('[name="' + pv[0] + '"]'); }) &&
      JSON.parse(snapshot()).length === pairs.length;
    if (same) {
      pairs.forEach(function (pv) { f.querySelector('[name="' + pv[0] + '"]').value = pv[1]; });
      render();
      f.dispatchEvent(new Event("input", { bubbles: true }));
      return;
    }
    var meta = document.querySelector('meta[name="csrf-token"]');
    fetch(f.getAttribute("data-design-builder"), {
      method: "POST", credentials: "same-origin", body: new URLSearchParams(pairs),
      headers: { "HX-Request": "true", "X-CSRF-Token": meta ? meta.content : "" }
    }).then(function (res) {
      if (!res.ok) throw new Error("builder " + res.status);
      return res.text();
    }).then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-design-editor]"), cur = editor();
      if (!fresh || !cur) return;
      cur.replaceWith(fresh);
      if (window.htmx) window.htmx.process(fresh);
      render();
    }).catch(function () { /* the inputs keep what they show; the state stays in the history */ });
  }
  document.addEventListener("click", function (e) {
    if (e.target.closest("[data-design-undo]")) undo();
    else if (e.target.closest("[data-design-redo]")) redo();
  });
  document.addEventListener("change", function (e) {
    if (editor() && editor().contains(e.target)) commit();
  });

  // htmx replaces the preview (and, for add, remove and move, the editor):
  // draw the boxes again, keep a focused box focused, record the new state.
  document.addEventListener("htmx:beforeSwap", function () {
    var b = document.activeElement && document.activeElement.closest && document.activeElement.closest("[data-design-box]");
    refocus = b ? Number(b.getAttribute("data-i")) : -1;
  });
  document.addEventListener("htmx:afterSettle", function () {
    render();
    if (refocus >= 0) {
      var b = document.querySelector('[data-design-box][data-i="' + refocus + '"]');
      if (b) b.focus({ preventScroll: true });
      refocus = -1;
    }
    if (!drag) commit();
  });

  render();
  commit();
})();
