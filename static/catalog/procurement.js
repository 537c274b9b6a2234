// Cascading filters: changing the category or subcategory reloads the page with the narrower dropdown values
// (the server computes them, as /procurement/filters does); without JavaScript the Filter button does the same.
for (const form of document.querySelectorAll("form[data-cascade]")) {
  for (const select of form.querySelectorAll("select[data-cascade-parent]")) {
    select.addEventListener("change", () => {
      if (select.name === "category") {
        const sub = form.querySelector("select[name=subcategory]");
        if (sub) sub.value = "";
      }
      const maker = form.querySelector("select[name=manufacturer]");
      if (maker) maker.value = "";
      form.requestSubmit();
    });
  }
}
