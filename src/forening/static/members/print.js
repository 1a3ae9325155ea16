// Buttons with data-print open the browser's print dialog (no inline handlers: the CSP).
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) {
    event.preventDefault();
    window.print();
  }
});
