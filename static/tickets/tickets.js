/* Ticket pages: inline edits through the API (session + CSRF), reactions, keyboard navigation of the list, and the
   new-ticket form's board -> status/category narrowing. Every page still works without this file. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function api(method, url, body) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), "Accept": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (response) {
      return response.text().then(function (text) {
        var data = text ? JSON.parse(text) : {};
        if (!response.ok) {
          var message = (data.error && data.error.message) || ("Request failed (" + response.status + ")");
          throw new Error(message);
        }
        return data;
      });
    });
  }

  // ---- ticket page: inline edits -----------------------------------------------------------------------------
  var page = document.querySelector(".ticket-page");
  var SELECT_SAVE_PAUSE_MS = 1500;
  if (page) {
    var base = page.getAttribute("data-api");
    var requests = {
      status: function (value) { return ["PUT", base + "/status", { status_id: value }]; },
      priority: function (value) { return ["PUT", base, { priority_id: value }]; },
      assignee: function (value) { return ["PUT", base + "/assignment", { assigned_to: value || null }]; },
      due: function (value) { return ["PUT", base, { due_date: value ? new Date(value).toISOString() : null }]; }
    };
    page.querySelectorAll("form[data-inline]").forEach(function (form) {
      var kind = form.getAttribute("data-inline");
      var control = form.querySelector("select, input:not([type=hidden])");
      var status = form.querySelector(".inline-status");
      if (!control || control.disabled) return;
      var previous = control.value;
      var save = function () {
        if (control.value === previous) return;
        var request = requests[kind](control.value);
        status.textContent = "Saving…";
        status.classList.remove("is-error");
        api(request[0], request[1], request[2]).then(function (body) {
          previous = control.value;
          status.textContent = "Saved";
          var ticket = body.data || {};
          var badge = page.querySelector("[data-closed-badge]");
          if (badge && typeof ticket.is_closed === "boolean") {
            badge.textContent = ticket.is_closed ? "Closed" : "Open";
            badge.classList.toggle("badge-info", !ticket.is_closed);
          }
          var closedAt = page.querySelector("[data-closed-at]");
          if (closedAt && "closed_at" in ticket) {
            closedAt.textContent = ticket.closed_at ? new Date(ticket.closed_at).toISOString().slice(0, 16).replace("T", " ") + (ticket.closed_by_name ? " by " + ticket.closed_by_name : "") : "—";
          }
        }).catch(function (error) {
          control.value = previous;
          status.textContent = error.message;
          status.classList.add("is-error");
        });
      };
      form.addEventListener("submit", function (event) { event.preventDefault(); save(); });
      if (control.tagName !== "SELECT") {
        control.addEventListener("change", save);
        return;
      }
      // A closed select fires "change" on every arrow key: a keyboard user passing values must not commit each one.
      // Keyboard changes save on Enter, on leaving the field, or after a short pause; a mouse pick saves at once.
      var pending = null;
      var keyed = false;
      var settle = function () { if (pending) { window.clearTimeout(pending); pending = null; } };
      control.addEventListener("keydown", function (event) {
        if (event.key === "Enter") { event.preventDefault(); settle(); save(); return; }
        if (/^(Arrow|Home|End|Page)/.test(event.key) || event.key.length === 1) keyed = true;
      });
      control.addEventListener("change", function () {
        settle();
        if (!keyed) { save(); return; }
        keyed = false;
        status.textContent = "Press Enter to save";
        pending = window.setTimeout(function () { pending = null; save(); }, SELECT_SAVE_PAUSE_MS);
      });
      control.addEventListener("blur", function () { if (pending) { settle(); save(); } });
    });

    // Reactions toggle through POST …/comments/{id}/reactions, which answers {added}.
    page.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-emoji]");
      if (!button) return;
      var item = button.closest("[data-comment-id]");
      var emoji = button.getAttribute("data-emoji");
      api("POST", base + "/comments/" + item.getAttribute("data-comment-id") + "/reactions", { emoji: emoji }).then(function (body) {
        var holder = item.querySelector("[data-reactions]");
        var existing = holder.querySelector("button.reaction:not(.reaction-add)[data-emoji='" + emoji + "']");
        if (!existing) {
          existing = document.createElement("button");
          existing.type = "button";
          existing.className = "reaction";
          existing.setAttribute("data-emoji", emoji);
          existing.innerHTML = "";
          existing.appendChild(document.createTextNode(emoji + " "));
          var count = document.createElement("span");
          count.setAttribute("data-count", "");
          count.textContent = "0";
          existing.appendChild(count);
          holder.insertBefore(existing, holder.querySelector(".reaction-picker"));
        }
        var counter = existing.querySelector("[data-count]");
        var n = parseInt(counter.textContent, 10) + (body.data.added ? 1 : -1);
        counter.textContent = String(n);
        existing.classList.toggle("is-mine", body.data.added);
        existing.setAttribute("aria-pressed", body.data.added ? "true" : "false");
        if (n <= 0) existing.remove();
      }).catch(function (error) { window.alert(error.message); });
    });
  }

  // ---- ticket list: keyboard navigation and select-all --------------------------------------------------------
  var table = document.querySelector("[data-ticket-table]");
  if (table) {
    var rows = Array.prototype.slice.call(table.querySelectorAll("tr[data-ticket-row]"));
    var current = -1;
    var focusRow = function (index) {
      if (!rows.length) return;
      current = Math.max(0, Math.min(rows.length - 1, index));
      rows.forEach(function (row, i) { row.classList.toggle("is-current", i === current); });
      var link = rows[current].querySelector("a");
      if (link) link.focus();
    };
    document.addEventListener("keydown", function (event) {
      var tag = (event.target.tagName || "").toLowerCase();
      if (tag === "input" || tag === "select" || tag === "textarea" || event.ctrlKey || event.metaKey || event.altKey) return;
      if (document.body.getAttribute("data-shortcuts") === "off") return;
      if (event.key === "j") { focusRow(current + 1); event.preventDefault(); }
      else if (event.key === "k") { focusRow(current - 1); event.preventDefault(); }
      else if (event.key === "x" && current >= 0) {
        var box = rows[current].querySelector("input[type=checkbox]");
        if (box) box.checked = !box.checked;
        event.preventDefault();
      } else if (event.key === "Enter" && current >= 0 && event.target === document.body) {
        window.location.href = rows[current].getAttribute("data-href");
      }
    });
    var all = table.querySelector("[data-select-all]");
    if (all) {
      all.addEventListener("change", function () {
        table.querySelectorAll("input[name=ticket]").forEach(function (box) { box.checked = all.checked; });
      });
    }
  }

  // ---- new ticket: a board narrows its statuses and categories; a client loads its contacts ---------------------
  var form = document.querySelector("[data-ticket-form]");
  if (form) {
    var board = form.querySelector("[name=board_id]");
    var category = form.querySelector("[name=category_id]");
    var narrow = function () {
      var boardId = board.value;
      var categoryId = category.value;
      form.querySelectorAll("select[data-narrow-by] option[data-board]").forEach(function (option) {
        var fits = !boardId || option.getAttribute("data-board") === boardId;
        if (option.hasAttribute("data-parent")) fits = fits && option.getAttribute("data-parent") === categoryId;
        option.hidden = !fits;
        option.disabled = !fits;
        if (!fits && option.selected) option.parentNode.value = "";
      });
    };
    board.addEventListener("change", narrow);
    category.addEventListener("change", narrow);
    narrow();

    var client = form.querySelector("[name=client_id]");
    var contact = form.querySelector("[data-contact-select]");
    var loadContacts = function () {
      var selected = contact.getAttribute("data-selected");
      contact.querySelectorAll("option[value]:not([value=''])").forEach(function (o) { o.remove(); });
      if (!client.value) return;
      fetch("/api/v1/contacts?limit=100&client_id=" + encodeURIComponent(client.value), { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : { data: [] }; })
        .then(function (body) {
          (body.data || []).forEach(function (c) {
            var option = document.createElement("option");
            option.value = c.id;
            option.textContent = c.name || ((c.first_name || "") + " " + (c.last_name || ""));
            if (c.id === selected) option.selected = true;
            contact.appendChild(option);
          });
        });
    };
    client.addEventListener("change", loadContacts);
    loadContacts();
  }
})();
