/* Documents panels: drop files on the zone or pick them, upload each through the API (multipart, session + CSRF),
   then reload the list; remove through the API. Without this file the panel's forms post to the UI views. */
(function () {
  "use strict";

  function csrf(panel) {
    var input = panel.querySelector("input[name=csrfmiddlewaretoken]") || document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function errorOf(response) {
    return response.json().then(function (body) {
      return (body.error && body.error.message) || ("Upload failed (" + response.status + ")");
    }, function () { return "Upload failed (" + response.status + ")"; });
  }

  function setup(panel) {
    var api = panel.getAttribute("data-api");
    var max = parseInt(panel.getAttribute("data-max-bytes"), 10);
    var zone = panel.querySelector("[data-drop-zone]");
    var status = panel.querySelector("[data-upload-status]");
    var input = panel.querySelector("[data-file-input]");

    function upload(files) {
      var list = Array.prototype.slice.call(files);
      if (!list.length) return;
      var tooBig = list.filter(function (file) { return file.size > max; });
      if (tooBig.length) {
        status.textContent = tooBig[0].name + " is larger than the upload limit.";
        status.classList.add("is-error");
        return;
      }
      status.classList.remove("is-error");
      status.textContent = "Uploading " + list.length + " file(s)…";
      var chain = Promise.resolve();
      list.forEach(function (file) {
        chain = chain.then(function () {
          var body = new FormData();
          body.append("file", file, file.name);
          return fetch(api, {
            method: "POST", credentials: "same-origin", body: body,
            headers: { "X-CSRFToken": csrf(panel), "Accept": "application/json" }
          }).then(function (response) {
            if (!response.ok) return errorOf(response).then(function (message) { throw new Error(message); });
          });
        });
      });
      chain.then(function () {
        status.textContent = "Uploaded.";
        window.location.reload();
      }).catch(function (error) {
        status.textContent = error.message;
        status.classList.add("is-error");
      });
    }

    if (zone) {
      zone.classList.add("is-enhanced");
      zone.addEventListener("submit", function (event) { event.preventDefault(); upload(input.files); });
      input.addEventListener("change", function () { upload(input.files); });
      ["dragenter", "dragover"].forEach(function (name) {
        zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("is-dragging"); });
      });
      ["dragleave", "drop"].forEach(function (name) {
        zone.addEventListener(name, function () { zone.classList.remove("is-dragging"); });
      });
      zone.addEventListener("drop", function (event) {
        event.preventDefault();
        if (event.dataTransfer && event.dataTransfer.files) upload(event.dataTransfer.files);
      });
    }

    panel.querySelectorAll("form[data-document-delete]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var item = form.closest("[data-document-id]");
        var question = form.getAttribute("data-question");
        if (question && !window.confirm(question)) return;
        fetch(api + "/" + item.getAttribute("data-document-id"), {
          method: "DELETE", credentials: "same-origin", headers: { "X-CSRFToken": csrf(panel), "Accept": "application/json" }
        }).then(function (response) {
          if (response.status === 204) { item.remove(); return; }
          return errorOf(response).then(function (message) { window.alert(message); });
        });
      });
    });
  }

  document.querySelectorAll("[data-documents]").forEach(setup);
})();
