// The staff pages of a paused kiosk go back to the pupils by themselves, so a kiosk is
// never left paused. Staff are warned first and can ask for more time (WCAG 2.2.1).
"use strict";
(function () {
  const box = document.getElementById("timeout");
  const warnAt = 30;  // seconds before the page goes back to the pupils
  let left = Number(box.dataset.seconds);
  const counter = box.querySelector(".seconds");
  // Go back once: a second replace while the first is loading would abort it.
  const ticking = setInterval(() => {
    left -= 1;
    counter.textContent = String(Math.max(left, 0));
    box.hidden = left > warnAt;
    if (left > 0) return;
    clearInterval(ticking);
    location.replace(box.dataset.home);
  }, 1000);
  box.querySelector("button").addEventListener("click", async () => {
    const response = await fetch(box.dataset.renew, {
      method: "POST", cache: "no-store",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": box.dataset.csrf },
      body: JSON.stringify({ page: box.dataset.page }),
    }).catch(() => null);
    if (!response || !response.ok) return location.replace(box.dataset.home);
    left = (await response.json()).seconds;
    box.hidden = true;
  });
})();
