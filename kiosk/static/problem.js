// The problem page's Listen button plays the spoken message (no inline handlers allowed).
document.querySelectorAll("button[data-audio]").forEach((button) => {
  button.addEventListener("click", () => new Audio(button.dataset.audio).play());
});
