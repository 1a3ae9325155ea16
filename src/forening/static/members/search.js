// The member search page: choose rows for bulk actions; the action's fields show once
// someone is chosen. Without JavaScript everything still works (all fields are shown).
(() => {
  const bar = document.querySelector("[data-bulk-bar]");
  if (!bar) {
    return;
  }
  const form = document.getElementById("bulk-form");
  const rows = () => Array.from(document.querySelectorAll("[data-row-check]"));
  const selectAll = document.querySelector("[data-select-all]");
  const counter = bar.querySelector("[data-selected-count]");
  const scopeSelected = document.getElementById("bulk-scope-selected");
  const scopeAll = document.getElementById("bulk-scope-all");
  const action = bar.querySelector("select[name='action']");

  const refresh = () => {
    const checks = rows();
    const chosen = checks.filter((box) => box.checked).length;
    if (counter) {
      counter.textContent = String(chosen);
    }
    if (selectAll) {
      selectAll.checked = chosen > 0 && chosen === checks.length;
      selectAll.indeterminate = chosen > 0 && chosen < checks.length;
    }
    if (chosen > 0 && scopeSelected && scopeAll && !scopeAll.checked) {
      scopeSelected.checked = true;
    }
    showControls();
  };

  // The action's fields appear once someone is chosen (or everyone the search finds).
  const showControls = () => {
    const active = rows().some((box) => box.checked) || (scopeAll && scopeAll.checked);
    bar.querySelectorAll("[data-bulk-controls]").forEach((part) => {
      const fields = part.getAttribute("data-bulk-fields");
      part.hidden = !active || (fields !== null && action && fields !== action.value);
    });
  };

  if (selectAll) {
    selectAll.addEventListener("change", () => {
      rows().forEach((box) => {
        box.checked = selectAll.checked;
      });
      refresh();
    });
  }
  document.addEventListener("change", (event) => {
    if (event.target instanceof HTMLInputElement && event.target.hasAttribute("data-row-check")) {
      refresh();
    }
  });
  if (action) {
    action.addEventListener("change", showControls);
  }
  [scopeSelected, scopeAll].forEach((radio) => {
    if (radio) {
      radio.addEventListener("change", showControls);
    }
  });
  if (form) {
    form.addEventListener("submit", (event) => {
      const everyone = scopeAll && scopeAll.checked;
      const chosen = rows().filter((box) => box.checked).length;
      if (!everyone && chosen === 0) {
        event.preventDefault();
        window.alert(bar.getAttribute("data-none-chosen") || "");
        return;
      }
      if (everyone) {
        const question = bar.getAttribute("data-confirm-all");
        if (question && !window.confirm(question)) {
          event.preventDefault();
        }
      }
    });
  }
  refresh();
})();
