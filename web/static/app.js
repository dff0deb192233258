// Small progressive enhancements; every page works without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector(".error-summary");
  if (summary) summary.focus();
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
  // A live character counter beside long texts; the server refuses (never cuts) a text too long.
  const french = new Intl.NumberFormat("fr-FR");
  for (const field of document.querySelectorAll("[data-maxlength]")) {
    const limit = Number(field.dataset.maxlength);
    const counter = document.createElement("p");
    counter.id = `${field.id}-compteur`;
    counter.className = "hint counter";
    counter.setAttribute("aria-live", "polite");
    field.insertAdjacentElement("afterend", counter);
    const described = field.getAttribute("aria-describedby");
    field.setAttribute("aria-describedby", described ? `${described} ${counter.id}` : counter.id);
    const update = () => {
      const used = field.value.length;
      const over = used - limit;
      counter.textContent = over > 0
        ? `Trop long de ${french.format(over)} caractère${over > 1 ? "s" : ""} : ${french.format(limit)} au plus.`
        : `${french.format(used)} caractère${used > 1 ? "s" : ""} sur ${french.format(limit)}`;
      counter.classList.toggle("error", over > 0);
    };
    field.addEventListener("input", update);
    update();
  }
  for (const button of document.querySelectorAll("button[data-print]")) {
    button.addEventListener("click", () => window.print());
  }
});
