// Show stored UTC times in the school's own time zone.
"use strict";
window.schoolTime = (function () {
  const config = JSON.parse(document.getElementById("dashboard-config").textContent);
  const day = new Intl.DateTimeFormat("en-GB", { timeZone: config.timezone, weekday: "short",
    day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
  function format(iso) { return iso ? day.format(new Date(iso)) : ""; }
  for (const node of document.querySelectorAll("time[data-iso]")) {
    node.dateTime = node.dataset.iso;
    node.textContent = format(node.dataset.iso);
  }
  return { format, config };
})();
