// Applications: a checkbox in the table head ticks or clears every row.
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || !box.hasAttribute("data-select-all")) return;
  const name = box.getAttribute("data-select-all");
  box.form.querySelectorAll(`input[type=checkbox][name="${name}"]`).forEach((row) => {
    row.checked = box.checked;
  });
});
