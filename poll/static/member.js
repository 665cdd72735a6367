// Member page, progressive enhancement only: without this script the form posts and the
// shortcut buttons apply on the server. With it, shortcuts set the radios at once (nothing is
// saved until "Save answers") and saving goes by fetch, announced in the role=status region.
(function () {
  "use strict";
  // Who else answered: the page shows counts per day; ticking the box fetches the names once
  // and puts them under each cell (without this script the link to the names' page does it).
  var showNames = document.getElementById("show-names");
  if (showNames && window.fetch) {
    var loaded = false;
    document.getElementById("show-names-box").hidden = false;
    showNames.addEventListener("change", function () {
      if (!showNames.checked || loaded) return;
      loaded = true;
      fetch(showNames.dataset.src, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          Object.keys(data.cells || {}).forEach(function (name) {
            var input = document.querySelector('input[name="' + CSS.escape(name) + '"]');
            if (!input) return;
            var box = document.createElement("div");
            box.className = "tally-names";
            ["yes", "maybe"].forEach(function (answer) {
              var names = data.cells[name][answer];
              if (!names.length) return;
              var line = document.createElement("p");
              var badge = document.createElement("span");
              badge.className = "badge " + answer;
              badge.textContent = showNames.dataset[answer];
              line.appendChild(badge);
              line.appendChild(document.createTextNode(" " + names.join(", ")));
              box.appendChild(line);
            });
            input.closest("td").appendChild(box);
          });
        })
        .catch(function () { loaded = false; });
    });
  }

  var form = document.getElementById("answers");
  var status = document.getElementById("save-status");
  var errorsBox = document.getElementById("form-errors");
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (!form || !status || !window.fetch || !window.URLSearchParams || !window.FormData) return;

  function announce(text) {
    // Empty first, so a repeated message ("Gemt kl. ...") is announced again.
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  function showErrors(errors) {
    errorsBox.textContent = "";
    if (!errors.length) return;
    var box = document.createElement("div");
    box.className = "error-summary";
    box.setAttribute("role", "alert");
    var list = document.createElement("ul");
    errors.forEach(function (error) {
      var item = document.createElement("li");
      item.textContent = error.message;
      list.appendChild(item);
    });
    box.appendChild(list);
    errorsBox.appendChild(box);
    errorsBox.focus();
  }

  function applyShortcut(value) {
    var parts = value.split(":");
    var answer = parts[parts.length - 1];
    var selector;
    if (parts[0] === "blank") {
      // Only the cells with no answer yet; an answer already given stays.
      var set = 0;
      form.querySelectorAll(".answer-grid fieldset").forEach(function (cell) {
        if (cell.querySelector('input[type="radio"]:checked')) return;
        var radio = cell.querySelector('input[type="radio"][value="' + CSS.escape(answer) + '"]');
        if (radio) { radio.checked = true; set += 1; }
      });
      return set > 0;
    }
    // A cell's radios are named a-<day id>-<venue id>.
    if (parts[0] === "all") selector = ".answer-grid input";
    else if (parts[0] === "venue") selector = '.answer-grid input[name$="-' + CSS.escape(parts[1]) + '"]';
    else if (parts[0] === "week") selector = 'tbody[data-week="' + CSS.escape(parts[1]) + '"] input';
    else return false;
    var radios = form.querySelectorAll(selector + '[type="radio"][value="' + CSS.escape(answer) + '"]');
    radios.forEach(function (radio) { radio.checked = true; });
    return radios.length > 0;
  }

  var dirty = false;
  function markDirty() {
    if (dirty) return;
    dirty = true;
    announce(form.dataset.unsaved);
  }
  form.addEventListener("change", markDirty);
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });

  function setHidden(name, value) {
    var input = form.querySelector('input[type="hidden"][name="' + name + '"]');
    if (input && typeof value === "string") input.value = value;
  }

  // After a save: where another window changed the same thing meanwhile, show what is stored;
  // then remember what the page now shows, from which the next save measures the changes.
  function applyStored(data) {
    Object.keys(data.stored || {}).forEach(function (name) {
      form.querySelectorAll('input[type="radio"][name="' + CSS.escape(name) + '"]').forEach(function (radio) {
        radio.checked = radio.value === data.stored[name];
      });
    });
    if (typeof data.comment === "string" && form.elements.comment) form.elements.comment.value = data.comment;
    if (Array.isArray(data.cannot_roles)) {
      form.querySelectorAll('input[name="cannot_roles"]').forEach(function (box) {
        box.checked = data.cannot_roles.indexOf(box.value) !== -1;
      });
    }
    setHidden("was_cells", data.was_cells);
    setHidden("was_comment", data.was_comment);
    setHidden("was_roles", data.was_roles);
  }

  var saving = false;
  form.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (submitter && submitter.name === "shortcut") {
      event.preventDefault();
      if (applyShortcut(submitter.value)) markDirty();
      return;
    }
    event.preventDefault();
    if (saving) return;
    saving = true;
    announce(form.dataset.saving);
    var body = new URLSearchParams(new FormData(form)); // urlencoded: no multipart part limit
    fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": meta ? meta.content : "" },
    })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("application/json") === -1) {
          // Not our JSON (an expired security token, a proxy error): say it was not saved.
          throw new Error("no json");
        }
        return response.json();
      })
      .then(function (data) {
        if (data.ok) {
          dirty = false;
          applyStored(data);
          showErrors((data.warnings || []).map(function (text) { return { message: text }; }));
          announce(data.message);
          var answered = document.getElementById("answered-state");
          if (answered && data.answered) answered.textContent = data.answered;
          var progress = document.getElementById("svar-status");
          // The server's own rendering of the progress block (escaped there, no script in it).
          if (progress && typeof data.progress_html === "string") progress.innerHTML = data.progress_html;
        } else {
          showErrors(data.errors || []);
          announce("");
        }
      })
      .catch(function () {
        announce(form.dataset.failed);
      })
      .finally(function () { saving = false; });
  });
})();
