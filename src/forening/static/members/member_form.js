// The person form: show the fields of the chosen kind (person or organisation), and mark
// the custom fields that the chosen membership type requires. Without JavaScript every
// field shows and the server still says what is missing.
(() => {
  const form = document.querySelector("form[data-person-form]");
  if (!form) return;
  const update = () => {
    const checked = form.querySelector("input[name=kind]:checked");
    const kind = checked ? checked.value : "person";
    form.querySelectorAll("[data-kind]").forEach((section) => {
      section.hidden = section.dataset.kind !== kind;
    });
    const typeSelect = form.querySelector("select[name=membership_type]");
    const statusSelect = form.querySelector("select[name=status]");
    const type = typeSelect ? typeSelect.value : "";
    const isContact = statusSelect ? statusSelect.value === "contact" : false;
    form.querySelectorAll("[data-required-for]").forEach((marker) => {
      const ids = (marker.dataset.requiredFor || "").split(" ").filter(Boolean);
      marker.hidden = isContact || !ids.includes(type);
    });
  };
  form.addEventListener("change", update);
  update();
})();
