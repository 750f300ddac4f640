/*
 * Coffee Shop admin dashboard: progressive enhancement only.
 * Every page works without this file; it makes the menu filter live, the
 * drink editor interactive (colour pickers, add/remove rows, preview),
 * announces the page's message to screen readers, and shows times in the
 * browser's own time zone.
 * Loaded with `defer`; no frameworks, no inline code (CSP: script-src 'self').
 */
(function () {
  "use strict";

  var SVG_NS = "http://www.w3.org/2000/svg";
  /* Where the picker opens while a row has no colour (shown as none). */
  var DEFAULT_PICKER = "#6f4e37";
  /* The liquid fills the glass between these heights (viewBox 0 0 100 124). */
  var LIQUID_TOP = 24;
  var LIQUID_BOTTOM = 120;

  function each(list, fn) {
    Array.prototype.forEach.call(list || [], fn);
  }

  function plural(n, word) {
    return n === 1 ? word : word + "s";
  }

  /* ---------------------------------------------------------------- */
  /* Menu filter                                                       */
  /* ---------------------------------------------------------------- */

  function setupFilter() {
    var input = document.querySelector("input[data-filter]");
    var list = document.querySelector("ul[data-cards]");
    if (!input || !list) {
      return;
    }
    var count = document.querySelector("[data-count]");
    var empty = document.querySelector("[data-empty]");
    var cards = Array.prototype.filter.call(list.children, function (el) {
      return el.classList.contains("card");
    });
    if (cards.length === 0) {
      return; // Nothing to filter; keep the server's message.
    }
    var totalAttr = count ? parseInt(count.getAttribute("data-total"), 10) : NaN;
    var total = isNaN(totalAttr) ? cards.length : totalAttr;

    function apply() {
      var query = input.value.trim().toLowerCase();
      var shown = 0;
      cards.forEach(function (card) {
        var text = (card.getAttribute("data-search") || "").toLowerCase();
        var match = query === "" || text.indexOf(query) !== -1;
        card.hidden = !match;
        if (match) {
          shown += 1;
        }
      });
      if (count) {
        // "N drinks" when everything shows; otherwise "X of N drinks".
        count.textContent =
          query === "" && shown === total
            ? total + " " + plural(total, "drink")
            : shown + " of " + total + " " + plural(total, "drink");
      }
      if (empty) {
        empty.hidden = shown > 0;
      }
    }

    input.addEventListener("input", apply);
    if (input.value.trim() !== "") {
      apply();
    }
  }

  /* ---------------------------------------------------------------- */
  /* Colors                                                            */
  /* ---------------------------------------------------------------- */

  var CSS_WIDE = /^(inherit|initial|unset|revert|revert-layer|currentcolor)$/i;
  /* The shapes the server accepts: hex, a named color, rgb()/hsl(). */
  var COLOR_SHAPE = /^(#[0-9a-f]{3,8}|[a-z]+|(rgba?|hsla?)\([^()]*\))$/i;

  function supportsColor(value) {
    try {
      return typeof CSS !== "undefined" && typeof CSS.supports === "function"
        ? CSS.supports("color", value)
        : /^#([0-9a-f]{3}|[0-9a-f]{4}|[0-9a-f]{6}|[0-9a-f]{8})$/i.test(value);
    } catch (e) {
      return false;
    }
  }

  /* A color the preview may draw, or "" if it is not one. */
  function drawableColor(raw) {
    var value = (raw || "").trim();
    if (!value || CSS_WIDE.test(value) || !COLOR_SHAPE.test(value)) {
      return "";
    }
    return supportsColor(value) ? value : "";
  }

  /* "#abc" or "#aabbcc" as "#aabbcc" (lowercase), or "" otherwise. */
  function expandHex(raw) {
    var value = (raw || "").trim().toLowerCase();
    var short = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/.exec(value);
    if (short) {
      return "#" + short[1] + short[1] + short[2] + short[2] + short[3] + short[3];
    }
    return /^#[0-9a-f]{6}$/.test(value) ? value : "";
  }

  var canvasContext = null;

  /* Any drawable color as "#rrggbb" for the picker (alpha dropped), or "". */
  function pickerValue(raw) {
    var hex = expandHex(raw);
    if (hex) {
      return hex;
    }
    var color = drawableColor(raw);
    if (!color) {
      return "";
    }
    if (!canvasContext) {
      var canvas = document.createElement("canvas");
      canvasContext = canvas.getContext ? canvas.getContext("2d") : null;
      if (!canvasContext) {
        return "";
      }
    }
    canvasContext.fillStyle = "#000000";
    canvasContext.fillStyle = color;
    var out = String(canvasContext.fillStyle).toLowerCase();
    if (/^#[0-9a-f]{6}$/.test(out)) {
      return out;
    }
    var rgb = /^rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(out);
    if (!rgb) {
      return "";
    }
    return "#" + [rgb[1], rgb[2], rgb[3]].map(function (channel) {
      var text = Math.min(255, parseInt(channel, 10)).toString(16);
      return text.length === 1 ? "0" + text : text;
    }).join("");
  }

  /* ---------------------------------------------------------------- */
  /* Drink editor                                                      */
  /* ---------------------------------------------------------------- */

  function setupEditor() {
    var form = document.querySelector("form[data-drink-form]");
    if (!form) {
      return;
    }
    var rowList = form.querySelector("[data-rows]");
    var addButton = form.querySelector("button[data-add]");
    var maxRows = parseInt(form.getAttribute("data-max-rows"), 10);
    if (!(maxRows > 0)) {
      maxRows = Infinity;
    }
    var preview = document.querySelector("[data-preview]");
    var layers = preview ? preview.querySelector("[data-layers]") : null;

    function rows() {
      if (!rowList) {
        return [];
      }
      return Array.prototype.filter.call(rowList.children, function (el) {
        return el.hasAttribute("data-row");
      });
    }

    function field(row, attr) {
      return row.querySelector("[" + attr + "]");
    }

    /* Color pickers: shown only when this script runs. */
    each(form.querySelectorAll("input[data-picker]"), function (picker) {
      picker.hidden = false;
    });

    /* The picker shows the typed colour, or "no colour" (a checkerboard)
       while the text is not one: never a colour nobody chose. */
    function syncPickerFromText(row) {
      var picker = field(row, "data-picker");
      var text = field(row, "data-color");
      if (!picker || !text) {
        return;
      }
      var hex = pickerValue(text.value);
      if (hex && picker.value.toLowerCase() !== hex) {
        picker.value = hex;
      }
      picker.parentNode.toggleAttribute("data-no-color", !hex);
    }

    /* Ids, labels and button values follow the row's position. */
    function renumber() {
      var list = rows();
      list.forEach(function (row, index) {
        var number = index + 1;
        each(row.querySelectorAll("[id]"), function (el) {
          el.id = el.id.replace(/^(name|color|parts)-\d+/, "$1-" + index);
        });
        each(row.querySelectorAll("label[for]"), function (label) {
          label.htmlFor = label.htmlFor.replace(/^(name|color|parts)-\d+/, "$1-" + index);
          label.textContent = label.textContent.replace(/\d+$/, String(number));
        });
        each(row.querySelectorAll("[aria-describedby]"), function (el) {
          el.setAttribute(
            "aria-describedby",
            el.getAttribute("aria-describedby").replace(/(^|\s)(name|color|parts)-\d+/g, "$1$2-" + index)
          );
        });
        var picker = field(row, "data-picker");
        if (picker) {
          picker.setAttribute("aria-label", "Pick colour " + number);
        }
        var remove = row.querySelector("button[data-remove]");
        if (remove) {
          remove.value = "remove-" + index;
          var hidden = remove.querySelector(".visually-hidden");
          if (hidden) {
            hidden.textContent = " ingredient " + number;
          }
        }
      });
      if (addButton) {
        addButton.disabled = list.length >= maxRows;
      }
    }

    function setValue(input, value) {
      if (input) {
        input.value = value;
        input.defaultValue = value;
      }
    }

    /* A row as new: blank values, no errors. */
    function clearRow(row) {
      setValue(field(row, "data-name"), "");
      setValue(field(row, "data-color"), "");
      setValue(field(row, "data-parts"), "1");
      setValue(field(row, "data-picker"), DEFAULT_PICKER);
      var picker = field(row, "data-picker");
      if (picker) {
        picker.hidden = false;
        picker.parentNode.setAttribute("data-no-color", "");
      }
      each(row.querySelectorAll(".error"), function (el) {
        el.parentNode.removeChild(el);
      });
      row.classList.remove("invalid");
      each(row.querySelectorAll(".invalid"), function (el) {
        el.classList.remove("invalid");
      });
      each(row.querySelectorAll("[aria-invalid]"), function (el) {
        el.removeAttribute("aria-invalid");
      });
      each(row.querySelectorAll("[aria-describedby]"), function (el) {
        el.removeAttribute("aria-describedby");
      });
    }

    function addRow() {
      var list = rows();
      if (list.length === 0) {
        return false; // Nothing to copy: let the server add the row.
      }
      if (list.length >= maxRows) {
        renumber(); // Disables the button; there is no room for more.
        return true;
      }
      var row = list[list.length - 1].cloneNode(true);
      clearRow(row);
      rowList.appendChild(row);
      renumber();
      updatePreview();
      announce("Ingredient " + rows().length + " added, empty.");
      var name = field(row, "data-name");
      if (name) {
        name.focus();
      }
      return true;
    }

    function removeRow(row) {
      var list = rows();
      var index = list.indexOf(row);
      if (index === -1) {
        return false;
      }
      if (list.length <= 1) {
        // Keep one row: empty it instead.
        clearRow(row);
        renumber();
        updatePreview();
        announce("Ingredient 1 emptied.");
        var only = field(row, "data-name");
        if (only) {
          only.focus();
        }
        return true;
      }
      rowList.removeChild(row);
      renumber();
      updatePreview();
      var left = rows().length;
      announce("Ingredient " + (index + 1) + " removed, " + left + " " + plural(left, "ingredient") + " left.");
      var rest = rows();
      var next = rest[Math.min(index, rest.length - 1)];
      var focus = next && field(next, "data-name");
      if (focus) {
        focus.focus();
      } else if (addButton) {
        addButton.focus();
      }
      return true;
    }

    /* The preview cup, as the app draws it: one rect per drawable row, the
       first row on top. */
    function updatePreview() {
      if (!layers) {
        return;
      }
      var valid = [];
      rows().forEach(function (row) {
        var nameInput = field(row, "data-name");
        var colorInput = field(row, "data-color");
        var partsInput = field(row, "data-parts");
        var color = drawableColor(colorInput ? colorInput.value : "");
        var partsText = partsInput ? partsInput.value.trim() : "";
        if (!color || !/^\+?\d{1,3}$/.test(partsText)) {
          return;
        }
        var parts = parseInt(partsText, 10);
        if (parts >= 1 && parts <= 100) {
          var name = nameInput ? nameInput.value.trim() : "";
          valid.push({ color: color, parts: parts, name: name || "unnamed" });
        }
      });
      var total = valid.reduce(function (sum, layer) {
        return sum + layer.parts;
      }, 0);
      var fragment = document.createDocumentFragment();
      var top = LIQUID_TOP;
      valid.forEach(function (layer) {
        var height = ((LIQUID_BOTTOM - LIQUID_TOP) * layer.parts) / Math.max(total, 1);
        var rect = document.createElementNS(SVG_NS, "rect");
        rect.setAttribute("x", "0");
        rect.setAttribute("y", top.toFixed(2));
        top += height;
        rect.setAttribute("width", "100");
        rect.setAttribute("height", (height + 0.4).toFixed(2));
        rect.setAttribute("fill", layer.color);
        fragment.appendChild(rect);
      });
      while (layers.firstChild) {
        layers.removeChild(layers.firstChild);
      }
      layers.appendChild(fragment);
      describePreview(valid);
    }

    /* The same words as the server's: "Preview, top first: espresso 1 part". */
    function describePreview(valid) {
      var cup = preview.querySelector("svg");
      if (!cup) {
        return;
      }
      var words = valid.map(function (layer) {
        return layer.name + " " + layer.parts + " " + plural(layer.parts, "part");
      });
      cup.setAttribute(
        "aria-label",
        words.length ? "Preview, top first: " + words.join(", ") : "Preview: an empty cup"
      );
    }

    var rowStatus = form.querySelector("[data-row-status]");

    /* Says what a row button did, through the form's live region. */
    function announce(message) {
      if (rowStatus) {
        rowStatus.textContent = message;
      }
    }

    form.addEventListener("input", function (event) {
      var target = event.target;
      var row = target && target.closest ? target.closest("[data-row]") : null;
      if (row && target.hasAttribute("data-picker")) {
        var text = field(row, "data-color");
        if (text) {
          text.value = target.value.toLowerCase();
        }
      } else if (row && target.hasAttribute("data-color")) {
        syncPickerFromText(row);
      }
      updatePreview();
    });

    /* Some browsers only fire `change` for the color picker. */
    form.addEventListener("change", function (event) {
      var target = event.target;
      if (target && target.hasAttribute && target.hasAttribute("data-picker")) {
        var row = target.closest("[data-row]");
        var text = row && field(row, "data-color");
        if (text && text.value.toLowerCase() !== target.value.toLowerCase()) {
          text.value = target.value.toLowerCase();
          updatePreview();
        }
      }
    });

    form.addEventListener("click", function (event) {
      var target = event.target;
      var button = target && target.closest ? target.closest("button[data-add], button[data-remove]") : null;
      if (!button || !form.contains(button) || button.disabled) {
        return;
      }
      var handled = button.hasAttribute("data-add")
        ? addRow()
        : removeRow(button.closest("[data-row]"));
      // When the script cannot help (say, no row to copy), the button
      // submits to the server as it does without JavaScript.
      if (handled) {
        event.preventDefault();
      }
    });

    rows().forEach(syncPickerFromText);
    renumber();
    updatePreview();
  }

  /* ---------------------------------------------------------------- */
  /* Error summary                                                     */
  /* ---------------------------------------------------------------- */

  function focusErrorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary && typeof summary.focus === "function") {
      summary.focus();
    }
  }

  /* ---------------------------------------------------------------- */
  /* The page's message and times                                      */
  /* ---------------------------------------------------------------- */

  /* A live region only speaks when its text changes after the page has
     loaded: take the server's message out, then put it back. */
  function announceFlash() {
    var flash = document.querySelector("[data-flash]");
    if (!flash) {
      return;
    }
    var message = flash.textContent;
    flash.textContent = "";
    window.setTimeout(function () {
      flash.textContent = message;
    }, 150);
  }

  /* "2026-12-02 04:35 UTC" becomes the browser's own time; the UTC time
     stays in the tooltip. */
  function localTimes() {
    if (typeof Intl === "undefined" || !Intl.DateTimeFormat) {
      return;
    }
    var format = new Intl.DateTimeFormat(undefined, {
      year: "numeric",
      month: "short",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      timeZoneName: "short",
    });
    each(document.querySelectorAll("time[data-local-time]"), function (time) {
      var when = new Date(time.getAttribute("datetime"));
      if (isNaN(when.getTime())) {
        return;
      }
      time.title = time.textContent;
      time.textContent = format.format(when);
    });
  }

  function start() {
    [setupFilter, setupEditor, focusErrorSummary, announceFlash, localTimes].forEach(function (feature) {
      try {
        feature();
      } catch (e) {
        // A broken enhancement must not take the page down: the server
        // rendered everything the page needs.
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
