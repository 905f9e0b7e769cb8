/* Ningju case filing pages (cases/filer/*.html): no inline script, CSP 'self' holds.
 *   [data-counter-for=<id>]   live character counter of the textarea <id> (its data-counter is the maximum)
 *   [data-photo-preview=<id>] thumbnails of the files chosen in the file input <id>; warns above data-max-files
 *   form [data-submit-once]   the button is disabled after the first submit (the server files once anyway)
 */
(function () {
  "use strict";

  function counter(out) {
    var area = document.getElementById(out.dataset.counterFor);
    if (!area || out.dataset.ready) { return; }
    out.dataset.ready = "1";
    var max = parseInt(area.dataset.counter || area.getAttribute("maxlength") || "0", 10);
    function update() {
      var n = area.value.length;
      out.textContent = "已输入" + n + "字" + (max ? ",最多" + max + "字" : "");
      out.classList.toggle("over", max > 0 && n > max);
    }
    area.addEventListener("input", update);
    update();
  }

  function preview(box) {
    var input = document.getElementById(box.dataset.photoPreview);
    if (!input || box.dataset.ready) { return; }
    box.dataset.ready = "1";
    var urls = [];
    input.addEventListener("change", function () {
      urls.forEach(function (u) { URL.revokeObjectURL(u); });
      urls = [];
      box.textContent = "";
      var files = Array.prototype.slice.call(input.files || []);
      var max = parseInt(input.dataset.maxFiles || "0", 10);
      if (max && files.length > max) {
        var warn = document.createElement("p");
        warn.className = "msg msg-error";
        warn.textContent = "最多上传" + max + "张照片,您选择了" + files.length + "张,请重新选择";
        box.appendChild(warn);
        return;
      }
      files.forEach(function (file) {
        if (!/^image\//.test(file.type)) { return; }
        var url = URL.createObjectURL(file);
        urls.push(url);
        var img = document.createElement("img");
        img.src = url;
        img.alt = file.name;
        box.appendChild(img);
      });
    });
  }

  function submitOnce(button) {
    var form = button.form;
    if (!form || form.dataset.onceReady) { return; }
    form.dataset.onceReady = "1";
    form.addEventListener("submit", function () {
      window.setTimeout(function () { button.disabled = true; button.textContent = "正在提交…"; }, 0);
    });
  }

  function scan(root) {
    root.querySelectorAll("[data-counter-for]").forEach(counter);
    root.querySelectorAll("[data-photo-preview]").forEach(preview);
    root.querySelectorAll("[data-submit-once]").forEach(submitOnce);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { scan(document); });
  } else {
    scan(document);
  }
  document.addEventListener("htmx:load", function (evt) { scan(evt.target); });
})();
