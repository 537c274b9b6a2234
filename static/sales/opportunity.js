// Products reorder: drag a line, or focus it and press Alt+ArrowUp / Alt+ArrowDown (or its Up/Down buttons). The new
// order is sent to the API at once; if ConnectWise refuses a line the old order comes back and the status says why.
// Without JavaScript the Up/Down buttons are ordinary forms that do the same on the server.
function csrfToken() {
  const match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
  if (match) return decodeURIComponent(match[1]);
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

function setup(list) {
  const status = list.parentElement.querySelector("[data-reorder-status]");
  const items = () => [...list.querySelectorAll("li[data-id]")];
  const order = () => items().map((li) => Number(li.dataset.id));
  let dragged = null;

  function refreshButtons() {
    const all = items();
    all.forEach((li, index) => {
      const up = li.querySelector("[data-move=up]");
      const down = li.querySelector("[data-move=down]");
      if (up) up.disabled = index === 0;
      if (down) down.disabled = index === all.length - 1;
    });
  }

  async function save(before, focus) {
    const wanted = order();
    if (wanted.join() === before.map((li) => li.dataset.id).join()) return;
    status.textContent = "Saving the order…";
    try {
      const response = await fetch(list.dataset.url, {
        method: "PATCH",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
        body: JSON.stringify({ ordered_ids: wanted }),
      });
      if (response.ok) {
        status.textContent = "Order saved in ConnectWise.";
        return;
      }
      const body = await response.json().catch(() => ({}));
      const failed = ((body.error && body.error.details && body.error.details.failed_lines) || []).map((l) => l.id);
      status.textContent = (body.error && body.error.message ? body.error.message : "The order was not saved.") +
        (failed.length ? ` (line ${failed.join(", ")})` : "");
    } catch (error) {
      status.textContent = "The order was not saved: the server did not answer.";
    }
    before.forEach((li) => list.appendChild(li)); // put the old order back: nothing changed in ConnectWise
    refreshButtons();
    if (focus) focus.focus();
  }

  function move(li, step) {
    const before = items();
    const sibling = step < 0 ? li.previousElementSibling : li.nextElementSibling;
    if (!sibling) return;
    list.insertBefore(li, step < 0 ? sibling : sibling.nextElementSibling);
    refreshButtons();
    li.focus();
    save(before, li);
  }

  for (const li of items()) {
    li.addEventListener("keydown", (event) => {
      if (event.altKey && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
        event.preventDefault();
        move(li, event.key === "ArrowUp" ? -1 : 1);
      }
    });
    for (const button of li.querySelectorAll("[data-move]")) {
      button.addEventListener("click", (event) => {
        event.preventDefault();
        move(li, button.dataset.move === "up" ? -1 : 1);
      });
    }
    li.addEventListener("dragstart", (event) => {
      dragged = { li, before: items() };
      event.dataTransfer.effectAllowed = "move";
      li.classList.add("dragging");
    });
    li.addEventListener("dragend", () => {
      li.classList.remove("dragging");
      if (!dragged) return; // dropped on the list: saved there
      dragged.before.forEach((other) => list.appendChild(other)); // dropped elsewhere: nothing moves
      dragged = null;
      refreshButtons();
    });
    li.addEventListener("dragover", (event) => {
      if (!dragged || dragged.li === li) return;
      event.preventDefault();
      const box = li.getBoundingClientRect();
      list.insertBefore(dragged.li, event.clientY < box.top + box.height / 2 ? li : li.nextElementSibling);
    });
    li.addEventListener("drop", (event) => event.preventDefault());
  }
  list.addEventListener("drop", () => {
    if (!dragged) return;
    const { li, before } = dragged;
    dragged = null;
    refreshButtons();
    save(before, li);
  });
}

document.querySelectorAll("ol[data-reorder]").forEach(setup);
