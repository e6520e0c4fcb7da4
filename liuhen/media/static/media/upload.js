/* Resumable upload of AV records for one case (tus 1.0.0 through tus-js-client, /api/uploads/).

   Each chosen file is sent in chunks (data-chunk-size) with the case and stage as Upload-Metadata and
   the page's CSRF token as X-CSRFToken. tus-js-client keeps each unfinished upload's URL in
   localStorage under a fingerprint of case, stage and file; after a page reload the page lists those
   uploads with how far they got (a HEAD to the server), and choosing the same file again resumes at
   the server's offset instead of starting over (findPreviousUploads + resumeFromPreviousUpload).
   A browser cannot reopen a file by itself after a reload, so the officer chooses it again.
   Loaded as a static file: the CSP allows no inline script. */
(function () {
  "use strict";

  function pct(done, total) {
    return total ? Math.floor((done / total) * 100) : 100;
  }

  function size(n) {
    if (n >= 1073741824) return (n / 1073741824).toFixed(2) + " GB";
    if (n >= 1048576) return (n / 1048576).toFixed(1) + " MB";
    if (n >= 1024) return (n / 1024).toFixed(0) + " KB";
    return n + " 字节";
  }

  function setup(form) {
    if (!window.tus || !window.tus.isSupported) {
      form.insertAdjacentHTML("beforeend", '<p class="text-danger small mt-2">此浏览器不支持分块上传。</p>');
      return;
    }
    var caseId = form.dataset.case;
    var endpoint = form.dataset.endpoint;
    var chunkSize = parseInt(form.dataset.chunkSize, 10) || 8 * 1024 * 1024;
    var recordUrl = form.dataset.uploadRecordUrl;
    var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    var input = form.querySelector("input[type=file]");
    var stageSelect = form.querySelector("select[name=stage]");
    var progress = document.getElementById("av-progress");
    var template = document.getElementById("av-progress-row");
    var resumable = document.getElementById("av-resumable");
    var resumableList = document.getElementById("av-resumable-list");
    var storage = window.tus.defaultOptions.urlStorage;

    function fingerprint(file, options) {
      var stage = (options.metadata && options.metadata.stage) || "";
      return Promise.resolve(
        ["liuhen-av", caseId, stage, file.name, file.type, file.size, file.lastModified].join("-")
      );
    }

    function newRow(name) {
      var node = template.content.firstElementChild.cloneNode(true);
      node.querySelector(".lh-av-name").textContent = name;
      progress.appendChild(node);
      return node;
    }

    function show(row, done, total, text) {
      var p = pct(done, total);
      var bar = row.querySelector(".progress-bar");
      bar.style.width = p + "%";
      bar.textContent = p + "%";
      row.querySelector(".progress").setAttribute("aria-valuenow", String(p));
      row.dataset.percent = String(p);
      if (text) row.querySelector(".lh-av-status").textContent = text;
    }

    function linkRecord(row, uploadUrl) {
      var id = uploadUrl.replace(/\/+$/, "").split("/").pop();
      return fetch(recordUrl.replace("UPLOAD_ID", encodeURIComponent(id)), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          var status = row.querySelector(".lh-av-status");
          if (!data.url) { status.textContent = "已上传，正在入库"; return; }
          status.textContent = "";
          var a = document.createElement("a");
          a.href = data.url;
          a.textContent = "已保存为音像记录 #" + data.record_id;
          a.dataset.testid = "av-upload-record";
          status.appendChild(a);
          if (data.flags && data.flags.length) {
            var warn = document.createElement("span");
            warn.className = "badge text-bg-warning fw-normal ms-2";
            warn.textContent = data.flags.join("、");
            status.appendChild(warn);
          }
          row.dataset.recordId = String(data.record_id);
          if (window.htmx) window.htmx.trigger("#av-records", "refresh");
        });
    }

    function start(file) {
      var row = newRow(file.name);
      var stage = stageSelect ? stageSelect.value : "";
      var first = true;
      row.dataset.state = "uploading";
      show(row, 0, file.size, "准备上传…");
      var upload = new window.tus.Upload(file, {
        endpoint: endpoint,
        chunkSize: chunkSize,
        retryDelays: [0, 1000, 3000, 5000, 10000],
        headers: { "X-CSRFToken": csrf },
        metadata: { filename: file.name, filetype: file.type || "application/octet-stream", case: caseId, stage: stage },
        fingerprint: fingerprint,
        removeFingerprintOnSuccess: true,
        onProgress: function (sent, total) {
          if (first && row.dataset.resumedFrom) {
            row.dataset.resumedFrom = String(sent);
          }
          first = false;
          var resumed = row.dataset.resumedFrom ? "续传（从 " + pct(parseInt(row.dataset.resumedFrom, 10), total) + "% 处继续）· " : "";
          show(row, sent, total, resumed + size(sent) + " / " + size(total));
        },
        onError: function (err) {
          row.dataset.state = "error";
          row.querySelector(".progress-bar").classList.add("bg-danger");
          var msg = (err && err.originalResponse && err.originalResponse.getBody()) || String(err);
          try { msg = JSON.parse(msg).message || msg; } catch (_e) { /* not JSON */ }
          row.querySelector(".lh-av-status").textContent = "上传失败：" + msg + "（重新选择该文件可继续）";
        },
        onSuccess: function () {
          row.dataset.state = "done";
          show(row, file.size, file.size, "上传完成");
          row.querySelector(".progress-bar").classList.add("bg-success");
          var li = resumableList.querySelector('[data-fingerprint-name="' + CSS.escape(file.name) + '"]');
          if (li) li.remove();
          if (!resumableList.children.length) resumable.classList.add("d-none");
          linkRecord(row, upload.url);
        },
      });
      upload.findPreviousUploads().then(function (previous) {
        if (previous.length) {
          previous.sort(function (a, b) { return new Date(b.creationTime) - new Date(a.creationTime); });
          row.dataset.resumedFrom = "0";
          upload.resumeFromPreviousUpload(previous[0]);
          show(row, 0, file.size, "正在查询已上传的部分…");
        }
        upload.start();
      });
    }

    input.addEventListener("change", function () {
      Array.prototype.forEach.call(input.files, start);
      input.value = "";
    });

    // Unfinished uploads of this case, from an earlier visit of the page.
    storage.findAllUploads().then(function (entries) {
      entries.forEach(function (entry) {
        if (!entry.metadata || entry.metadata.case !== caseId || !entry.uploadUrl) return;
        fetch(entry.uploadUrl, { method: "HEAD", credentials: "same-origin", headers: { "Tus-Resumable": "1.0.0" } })
          .then(function (r) {
            if (r.status === 404 || r.status === 410) { storage.removeUpload(entry.urlStorageKey); return; }
            if (!r.ok) return;
            var offset = parseInt(r.headers.get("Upload-Offset") || "0", 10);
            var total = parseInt(r.headers.get("Upload-Length") || String(entry.size || 0), 10);
            if (offset >= total) { storage.removeUpload(entry.urlStorageKey); return; }
            var li = document.createElement("li");
            li.dataset.testid = "av-resumable-item";
            li.dataset.fingerprintName = entry.metadata.filename || "";
            li.textContent = (entry.metadata.filename || "（无文件名）") + " — 已上传 " + pct(offset, total) + "%（" + size(offset) + " / " + size(total) + "）";
            resumableList.appendChild(li);
            resumable.classList.remove("d-none");
          })
          .catch(function () { /* offline: nothing to show */ });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("av-upload");
    if (form) setup(form);
  });
})();
