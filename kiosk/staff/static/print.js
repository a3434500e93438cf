// The chronology's Print button (no inline handlers: the pages' policy allows no inline script).
document.querySelectorAll("[data-action=print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
