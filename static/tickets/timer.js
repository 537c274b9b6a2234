/* The timer in the page header, on every page: its state comes from GET /api/v1/time-entries/active-session, so it
   survives reloads and restarts; Stop calls stop-tracking. On a ticket page, "Start timer" starts it through the API
   and the log-time form's Billable box follows the chosen service's default. Without this file the ticket page's
   forms post to the UI views instead. */
(function () {
  "use strict";

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
          throw new Error((data.error && data.error.message) || ("Request failed (" + response.status + ")"));
        }
        return data;
      });
    });
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function elapsed(start) {
    var seconds = Math.max(0, Math.floor((Date.now() - start.getTime()) / 1000));
    return Math.floor(seconds / 3600) + ":" + pad(Math.floor(seconds / 60) % 60) + ":" + pad(seconds % 60);
  }

  var holder = document.querySelector("[data-timer]");
  var base = holder ? holder.getAttribute("data-api") : "/api/v1/time-entries";
  var ticking = null;

  function clear() {
    if (ticking) window.clearInterval(ticking);
    ticking = null;
    if (holder) {
      holder.textContent = "";
      holder.hidden = true;
    }
  }

  function show(session) {
    if (!holder) return;
    clear();
    var start = new Date(session.start_time);
    var label = document.createElement("a");
    label.href = "/tickets/" + session.work_item_id + "/#time";
    label.textContent = "Timer: " + (session.ticket_number || "ticket");
    label.title = session.work_item_title || "";
    var clock = document.createElement("span");
    clock.className = "timer-elapsed";
    clock.setAttribute("data-timer-elapsed", "");
    clock.setAttribute("role", "timer");
    clock.textContent = elapsed(start);
    var stop = document.createElement("button");
    stop.type = "button";
    stop.className = "topbar-button";
    stop.setAttribute("data-timer-stop", "");
    stop.textContent = "Stop";
    stop.addEventListener("click", function () {
      stop.disabled = true;
      api("POST", base + "/stop-tracking/" + session.session_id, {}).then(function () {
        clear();
        var section = document.querySelector("[data-time-section]");
        if (section && section.getAttribute("data-ticket-id") === session.work_item_id) window.location.reload();
      }).catch(function (error) {
        stop.disabled = false;
        clock.textContent = error.message;
        clock.classList.add("timer-error");
      });
    });
    holder.appendChild(label);
    holder.appendChild(clock);
    holder.appendChild(stop);
    holder.hidden = false;
    ticking = window.setInterval(function () { clock.textContent = elapsed(start); }, 1000);
  }

  if (holder) {
    api("GET", base + "/active-session").then(function (body) {
      if (body.data) show(body.data);
    }).catch(function () { /* the header stays empty; the pages still work */ });
  }

  // Ticket page: start through the API, so the header shows the timer without a reload.
  var startForm = document.querySelector("[data-timer-start-form]");
  var section = document.querySelector("[data-time-section]");
  if (startForm && section && holder) {
    startForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var service = startForm.querySelector("[name=service_id]").value;
      var body = { work_item_type: "ticket", work_item_id: section.getAttribute("data-ticket-id") };
      if (service) body.service_id = service;
      api("POST", base + "/start-tracking", body).then(function () {
        window.location.reload();
      }).catch(function (error) { window.alert(error.message); });
    });
  }

  // Log-time form: Billable follows the service's default until the user changes it.
  document.querySelectorAll("[data-service-select]").forEach(function (select) {
    var box = select.form.querySelector("[data-billable-box]");
    if (!box) return;
    var touched = false;
    box.addEventListener("change", function () { touched = true; });
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      if (!touched && option) box.checked = option.getAttribute("data-billable") !== "false";
    });
  });
})();
