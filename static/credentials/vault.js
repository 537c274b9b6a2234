/* The vault UI: reveal, copy and live one-time codes through the audited API; sub-credential rows; the type editor.
   Revealed values live only in the page's DOM for 30 seconds and are never written to storage or the console. */
(function () {
  "use strict";

  var HIDE_AFTER = 30; // seconds a revealed value stays visible
  var TOTP_FOR = 300; // seconds a live one-time code keeps refreshing after a click
  var MASK = "\u2022\u2022\u2022\u2022\u2022\u2022\u2022\u2022";

  function csrfToken() {
    var input = document.querySelector("#vault-csrf input[name=csrfmiddlewaretoken], input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // GET an audited vault endpoint with the session; resolves to the envelope's data or rejects with its message.
  function fetchVault(url) {
    return fetch(url, {
      method: "GET",
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() }
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (!response.ok) {
          var message = body && body.error && body.error.message ? body.error.message : "Request failed (" + response.status + ").";
          throw new Error(message);
        }
        return body.data;
      });
    });
  }

  function status(box, text) {
    var node = box.querySelector("[data-secret-status]");
    if (node) node.textContent = text;
  }

  function label(button, text) {
    var node = button && button.querySelector("[data-label]");
    if (node) node.textContent = text;
  }

  function mask(box, message) {
    window.clearInterval(box._timer);
    box._timer = null;
    box._mode = null;
    var value = box.querySelector("[data-secret-value]");
    value.textContent = MASK;
    value.classList.remove("is-revealed");
    label(box.querySelector("[data-reveal-url]"), "Reveal");
    label(box.querySelector("[data-totp-url]"), "Show code");
    status(box, message || "");
  }

  function show(box, text, mode) {
    var value = box.querySelector("[data-secret-value]");
    value.textContent = text;
    value.classList.add("is-revealed");
    box._mode = mode;
  }

  function countdown(box, seconds, describe, onEnd) {
    var left = seconds;
    window.clearInterval(box._timer);
    status(box, describe(left));
    box._timer = window.setInterval(function () {
      left -= 1;
      if (left <= 0) {
        window.clearInterval(box._timer);
        onEnd();
      } else {
        status(box, describe(left));
      }
    }, 1000);
  }

  function reveal(button) {
    var box = button.closest("[data-secret]");
    if (box._mode === "value") { mask(box); return; }
    mask(box);
    status(box, "Revealing\u2026");
    fetchVault(button.getAttribute("data-reveal-url")).then(function (data) {
      if (data.value === null) { mask(box, "Not set."); return; }
      show(box, data.value, "value");
      label(button, "Hide");
      countdown(box, HIDE_AFTER, function (left) { return "Hides in " + left + " s"; }, function () { mask(box); });
    }, function (error) { mask(box, error.message); });
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      area.value = "";
      document.body.removeChild(area);
      if (ok) { resolve(); } else { reject(new Error("Copying is blocked here; reveal the value and copy it by hand.")); }
    });
  }

  // Copy messages have their own line, so a running reveal or code countdown cannot overwrite "Copied".
  function copyStatus(box, text) {
    var node = box.querySelector("[data-copy-status]");
    if (!node) { status(box, text); return; }
    window.clearTimeout(node._timer);
    node.textContent = text;
    node._timer = window.setTimeout(function () { node.textContent = ""; }, 4000);
  }

  // A secret goes to the clipboard unseen; beside a TOTP secret, "Copy code" copies the current one-time code.
  function copySecret(button) {
    var box = button.closest("[data-secret]");
    var totpUrl = button.getAttribute("data-copy-code-url");
    copyStatus(box, "Copying\u2026");
    fetchVault(totpUrl || button.getAttribute("data-copy-secret-url")).then(function (data) {
      var text = totpUrl ? data.code : data.value;
      if (text === null || text === undefined) { copyStatus(box, "Not set."); return; }
      var what = totpUrl ? "Code copied (valid " + data.seconds_remaining + " s more)." : "Copied to the clipboard.";
      return copyText(text).then(function () { copyStatus(box, what); });
    }).catch(function (error) { copyStatus(box, error.message); });
  }

  function totp(button) {
    var box = button.closest("[data-secret]");
    if (box._mode === "totp") { mask(box); return; }
    mask(box);
    var url = button.getAttribute("data-totp-url");
    var until = Date.now() + TOTP_FOR * 1000;
    var refresh = function () {
      if (Date.now() > until) { mask(box, "Stopped; show the code again if you need it."); return; }
      fetchVault(url).then(function (data) {
        show(box, data.code, "totp");
        label(button, "Hide code");
        countdown(box, data.seconds_remaining, function (left) { return "Code changes in " + left + " s"; }, refresh);
      }, function (error) { mask(box, error.message); });
    };
    status(box, "Fetching code\u2026");
    refresh();
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target : null;
    if (!target) return;
    var button = target.closest("[data-reveal-url], [data-copy-secret-url], [data-copy-code-url], [data-totp-url], [data-add-sub-row]");
    if (!button) return;
    if (button.hasAttribute("data-reveal-url")) reveal(button);
    else if (button.hasAttribute("data-copy-secret-url") || button.hasAttribute("data-copy-code-url")) copySecret(button);
    else if (button.hasAttribute("data-totp-url")) totp(button);
    else addSubRow(button);
  });

  // Never leave a revealed value on a page kept in the back/forward cache.
  window.addEventListener("pagehide", function () {
    document.querySelectorAll("[data-secret]").forEach(function (box) { if (box._mode) mask(box); });
  });

  // --- sub-credential rows in the create form -----------------------------------------------------------------------

  function addSubRow(button) {
    var group = button.closest("[data-sub-group]");
    var rows = group.querySelectorAll("[data-sub-row]");
    var last = rows[rows.length - 1];
    var fieldId = group.getAttribute("data-sub-group");
    var next = 0;
    group.querySelectorAll("[name^='s__" + fieldId + "__']").forEach(function (input) {
      var match = input.name.match(/^s__[^_].*?__(\d+)__/);
      if (match) next = Math.max(next, parseInt(match[1], 10) + 1);
    });
    var clone = last.cloneNode(true);
    var pattern = new RegExp("(s__" + fieldId.replace(/[-]/g, "\\-") + "__)\\d+(__)", "g");
    clone.querySelectorAll("[name], [id], [for], [aria-describedby]").forEach(function (node) {
      ["name", "id", "for", "aria-describedby"].forEach(function (attr) {
        if (node.hasAttribute(attr)) node.setAttribute(attr, node.getAttribute(attr).replace(pattern, "$1" + next + "$2"));
      });
      if (node.value !== undefined && node.tagName !== "BUTTON") node.value = "";
    });
    clone.querySelectorAll(".errorlist").forEach(function (node) { node.remove(); });
    clone.querySelectorAll(".has-error").forEach(function (node) { node.classList.remove("has-error"); });
    var legend = clone.querySelector("legend");
    if (legend) legend.textContent = legend.textContent.replace(/\d+$/, String(rows.length + 1));
    last.parentNode.appendChild(clone);
    var first = clone.querySelector("input");
    if (first) first.focus();
  }

  document.querySelectorAll("[data-add-sub-row]").forEach(function (button) { button.hidden = false; });

  // --- the credential-type field builder ----------------------------------------------------------------------------

  function setupBuilder(form) {
    var host = form.querySelector("[data-field-builder]");
    var textarea = form.querySelector("textarea[name=fields_json]");
    var typesNode = document.getElementById("value-types-data");
    if (!host || !textarea || !typesNode) return;
    var valueTypes = JSON.parse(typesNode.textContent);
    var initial;
    try {
      initial = textarea.value.trim() ? JSON.parse(textarea.value) : [];
      if (!Array.isArray(initial)) return;
    } catch (e) {
      return; // leave the JSON box to the user until it parses
    }
    var jsonField = textarea.closest(".field");

    function slug(text) {
      var value = text.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "");
      return /^[a-z]/.test(value) ? value.slice(0, 64) : value ? ("f_" + value).slice(0, 64) : "";
    }

    function element(tag, attrs, text) {
      var node = document.createElement(tag);
      Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
      if (text) node.textContent = text;
      return node;
    }

    function secureRule(kind) {
      var found = valueTypes.filter(function (vt) { return vt.value_type === kind; })[0];
      return found ? found.secure : "optional";
    }

    function renumber(list, prefix) {
      Array.prototype.forEach.call(list.children, function (row, index) {
        var name = prefix + (index + 1);
        row.querySelectorAll(":scope > .vault-builder-inputs [data-key]").forEach(function (input) {
          input.setAttribute("aria-label", name + " " + input.getAttribute("data-label"));
        });
        var remove = row.querySelector(":scope > .vault-builder-inputs [data-remove]");
        if (remove) remove.setAttribute("aria-label", "Remove " + name.toLowerCase());
        var sub = row.querySelector(":scope > .vault-builder-sub > ol");
        if (sub) {
          renumber(sub, name + " sub-field ");
          var add = row.querySelector(":scope > .vault-builder-sub > [data-add-sub-field]");
          add.textContent = "Add sub-field to " + name.toLowerCase();
        }
      });
    }

    function syncSecure(row) {
      var kind = row.querySelector(":scope > .vault-builder-inputs [data-key=value_type]").value;
      var secure = row.querySelector(":scope > .vault-builder-inputs [data-key=secure]");
      var rule = secureRule(kind);
      if (rule === "always") { secure.checked = true; secure.disabled = true; }
      else if (rule === "never") { secure.checked = false; secure.disabled = true; }
      else { secure.disabled = false; }
      var sub = row.querySelector(":scope > .vault-builder-sub");
      if (kind === "multi_credential" && !sub) {
        row.appendChild(subList([], row._depth + 1));
      } else if (kind !== "multi_credential" && sub) {
        sub.remove();
      }
    }

    function fieldRow(field, depth) {
      var row = element("li", { class: "vault-builder-row" });
      row._depth = depth;
      var inputs = element("div", { class: "vault-builder-inputs" });
      var name = element("input", { type: "text", "data-key": "name", "data-label": "name", placeholder: "Name" });
      name.value = field.name || "";
      var id = element("input", { type: "text", "data-key": "id", "data-label": "id", placeholder: "id", class: "mono" });
      id.value = field.id || "";
      name.addEventListener("input", function () { if (!id._touched) id.value = slug(name.value); });
      id.addEventListener("input", function () { id._touched = true; });
      if (field.id) id._touched = true;
      var kind = element("select", { "data-key": "value_type", "data-label": "type" });
      valueTypes.forEach(function (vt) {
        if (vt.value_type === "multi_credential" && depth >= 2) return;
        var option = element("option", { value: vt.value_type }, vt.label);
        kind.appendChild(option);
      });
      kind.value = field.value_type || "plain_text";
      var required = element("input", { type: "checkbox", "data-key": "required", "data-label": "required" });
      required.checked = Boolean(field.required);
      var secure = element("input", { type: "checkbox", "data-key": "secure", "data-label": "secure" });
      secure.checked = Boolean(field.secure);
      var requiredLabel = element("label", { class: "vault-builder-check" });
      requiredLabel.appendChild(required);
      requiredLabel.appendChild(document.createTextNode(" Required"));
      var secureLabel = element("label", { class: "vault-builder-check" });
      secureLabel.appendChild(secure);
      secureLabel.appendChild(document.createTextNode(" Secure"));
      var remove = element("button", { type: "button", class: "button button-secondary button-small", "data-remove": "" }, "Remove");
      remove.addEventListener("click", function () {
        var list = row.parentNode;
        row.remove();
        renumberAll();
        write();
        if (list) list.dispatchEvent(new Event("change", { bubbles: true }));
      });
      [name, id, kind, requiredLabel, secureLabel, remove].forEach(function (node) { inputs.appendChild(node); });
      row.appendChild(inputs);
      if (field.value_type === "multi_credential") row.appendChild(subList(field.sub_fields || [], depth + 1));
      kind.addEventListener("change", function () { syncSecure(row); renumberAll(); });
      syncSecure(row);
      return row;
    }

    function subList(fields, depth) {
      var wrap = element("div", { class: "vault-builder-sub" });
      var list = element("ol", { class: "vault-builder-list" });
      fields.forEach(function (field) { list.appendChild(fieldRow(field, depth)); });
      var add = element("button", { type: "button", class: "button button-secondary button-small", "data-add-sub-field": "" }, "Add sub-field");
      add.addEventListener("click", function () {
        var row = fieldRow({}, depth);
        list.appendChild(row);
        renumberAll();
        write();
        row.querySelector("[data-key=name]").focus();
      });
      wrap.appendChild(list);
      wrap.appendChild(add);
      return wrap;
    }

    function read(list) {
      return Array.prototype.map.call(list.children, function (row) {
        var get = function (key) { return row.querySelector(":scope > .vault-builder-inputs [data-key=" + key + "]"); };
        var field = {
          id: get("id").value.trim(),
          name: get("name").value.trim(),
          value_type: get("value_type").value,
          required: get("required").checked,
          secure: get("secure").checked
        };
        var sub = row.querySelector(":scope > .vault-builder-sub > ol");
        if (sub) field.sub_fields = read(sub);
        return field;
      });
    }

    var top = element("ol", { class: "vault-builder-list" });
    initial.forEach(function (field) { top.appendChild(fieldRow(field, 1)); });
    var addField = element("button", { type: "button", class: "button button-secondary button-small" }, "Add field");
    addField.addEventListener("click", function () {
      var row = fieldRow({}, 1);
      top.appendChild(row);
      renumberAll();
      write();
      row.querySelector("[data-key=name]").focus();
    });
    var toggle = element("button", { type: "button", class: "button button-secondary button-small" }, "Edit as JSON");
    toggle.addEventListener("click", function () {
      write();
      host.hidden = true;
      jsonField.hidden = false;
      textarea.focus();
    });
    host.appendChild(top);
    host.appendChild(addField);
    host.appendChild(document.createTextNode(" "));
    host.appendChild(toggle);

    function renumberAll() { renumber(top, "Field "); }
    function write() { textarea.value = JSON.stringify(read(top), null, 2); }

    host.addEventListener("input", write);
    host.addEventListener("change", write);
    form.addEventListener("submit", function () { if (!host.hidden) write(); });
    renumberAll();
    host.hidden = false;
    jsonField.hidden = true;
  }

  document.querySelectorAll("form[data-type-editor]").forEach(setupBuilder);
})();
