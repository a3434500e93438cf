// "Show me where": the pupil taps places on a body picture, front and back. Each place
// is drawn in the SVG and has a real button laid over each of its shapes, so touch,
// dwell (which rests on buttons) and switch scanning (which finds `data-tile`) all work
// as on any page. A chosen place is outlined boldly and ticked, never shown by colour
// alone, and named in the list beside or under the picture.
"use strict";
window.KioskBodyPage = (function () {
  const SVG = "http://www.w3.org/2000/svg";

  function svg(tag, attrs) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    return node;
  }

  // One shape as the staff body map draws it (rounded rectangle or ellipse).
  function drawShape(shape, placeId) {
    const [x, y, w, h] = shape.box;
    const attrs = { class: "place-shape", "data-place": placeId };
    if (shape.shape === "ellipse") {
      return svg("ellipse", Object.assign(attrs, { cx: x + w / 2, cy: y + h / 2, rx: w / 2, ry: h / 2 }));
    }
    return svg("rect", Object.assign(attrs, { x, y, width: w, height: h, rx: 10 }));
  }

  // The figure's lines that are not places: a neck; a face on the front, hair behind.
  function decorations(sideIndex) {
    const g = svg("g", { class: "figure-lines", "aria-hidden": "true" });
    g.append(svg("rect", { x: 106, y: 70, width: 28, height: 12, class: "neck" }));
    if (sideIndex === 0) {
      g.append(svg("circle", { cx: 108, cy: 30, r: 4 }), svg("circle", { cx: 132, cy: 30, r: 4 }),
               svg("path", { d: "M106 48 Q120 58 134 48", class: "line" }));
    } else {
      g.append(svg("path", { d: "M90 26 Q120 4 150 26", class: "line" }));
    }
    return g;
  }

  function render(page, api) {
    const { el, main } = api;
    const { width, height } = page.picture;
    const picked = () => new Set(api.chosen());
    const buttons = [];  // every place button, to repaint after a tap
    const pictures = el("div", { class: "body-pictures" });
    page.sides.forEach((side, sideIndex) => {
      const picture = svg("svg", { viewBox: `0 0 ${width} ${height}`, "aria-hidden": "true",
                                   focusable: "false" });
      const frame = el("div", { class: "body-frame" }, picture);
      frame.style.setProperty("--w", String(width));
      frame.style.setProperty("--h", String(height));
      for (const place of page.places) {
        for (const shape of place.shapes.filter((s) => s.side === side.id)) {
          picture.append(drawShape(shape, place.id));
          frame.append(placeButton(place, shape, width, height));
        }
      }
      picture.append(decorations(sideIndex));  // over the shapes: the face stays seen
      const caption = el("figcaption", { id: `side-${side.id}` }, side.text);
      pictures.append(el("figure", { class: "body-side", "data-side": side.id, role: "group",
                                     "aria-labelledby": caption.id }, frame, caption));
    });
    const list = el("ul", { class: "body-chosen", "aria-live": "polite" });
    main.append(el("div", { class: "body-page" }, pictures, list));
    paint();
    echoScanHighlight();
    api.showNext();

    function placeButton(place, shape, w, h) {
      const [x, y, bw, bh] = shape.box;
      const attrs = { type: "button", class: `place ${shape.shape}`, "data-place": place.id,
                      "data-audio": place.audio, "aria-label": place.text,
                      onclick: () => toggle(place) };
      // The first shape of a place is the one a switch scan highlights (scan.py).
      if (!buttons.some((b) => b.dataset.place === place.id)) attrs["data-tile"] = place.id;
      const button = el("button", attrs);
      Object.assign(button.style, { left: `${(x / w) * 100}%`, top: `${(y / h) * 100}%`,
                                    width: `${(bw / w) * 100}%`, height: `${(bh / h) * 100}%` });
      buttons.push(button);
      return button;
    }

    function toggle(place) {
      const now = api.chosen();
      api.set(now.includes(place.id) ? now.filter((id) => id !== place.id) : [...now, place.id]);
      paint();
      api.speak(place.audio);
    }

    // A switch scan highlights a place's first button only (its "tile", scan.py); the
    // place's other shapes take the same ring, so a pupil scanning sees every arm that
    // choosing "Arm" marks, front and back.
    function echoScanHighlight() {
      const echo = new MutationObserver(() => {
        for (const first of buttons.filter((b) => b.dataset.tile)) {
          for (const b of buttons.filter((o) => o !== first && o.dataset.place === first.dataset.place)) {
            b.classList.toggle("scan-focus-also", first.classList.contains("scan-focus"));
            b.classList.toggle("scan-group-also", first.classList.contains("scan-group"));
          }
        }
      });
      for (const first of buttons.filter((b) => b.dataset.tile)) {
        echo.observe(first, { attributes: true, attributeFilter: ["class"] });
      }
    }

    // Buttons, shapes and the list all follow the answers: one source of truth.
    function paint() {
      const on = picked();
      for (const b of buttons) b.setAttribute("aria-pressed", String(on.has(b.dataset.place)));
      for (const s of main.querySelectorAll(".place-shape")) {
        s.classList.toggle("marked", on.has(s.dataset.place));
      }
      list.replaceChildren(...page.places.filter((p) => on.has(p.id))
        .map((p) => el("li", { class: "chip place-chip" }, el("span", {}, p.text))));
    }
  }

  return { render };
}());
