/* What was typed into a form is never lost to a refusal (issue 11 item 6).
 *
 * 1. Before a form is sent: if it is larger than the server accepts (data-post-max bytes, data-fields-max
 *    fields, from DATA_UPLOAD_MAX_MEMORY_SIZE / DATA_UPLOAD_MAX_NUMBER_FIELDS), it is not sent; the page
 *    says so in Chinese and the text stays where it was typed. htmx requests are stopped the same way.
 * 2. When a form is sent, its fields (not passwords, files or the CSRF token) are kept in this tab's
 *    sessionStorage. If the answer is a page marked body data-draft="keep" (our 400 such as too large a
 *    body, the 500, the CSRF refusal, or the log-in page when the session ran out while typing), the draft
 *    is kept and "返回修改" (or logging in again) leads back; the form's page then puts the text back and
 *    says so. Any other page that follows (saved, or the form shown again with its errors by the server)
 *    drops the draft.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var POST_MAX = script && script.dataset.postMax ? Number(script.dataset.postMax) : null;
  var FIELDS_MAX = script && script.dataset.fieldsMax ? Number(script.dataset.fieldsMax) : null;
  // A draft may name a protected complainant or informant: it is the typing user's alone (data-user),
  // never put back for another user of the same browser tab, and logging out (data-draft-clear) drops it.
  var USER = (script && script.dataset.user) || "";
  var PENDING = "liuhen:draft:pending";
  var KEPT = "liuhen:draft:kept";
  var MAX_AGE_MS = 2 * 3600 * 1000; // a kept draft older than this is not put back
  var SKIP_TYPES = { password: 1, file: 1, hidden: 1, submit: 1, button: 1, reset: 1, image: 1 };

  function here() { return location.pathname + location.search; }

  function store(key, value) {
    try {
      if (value === null) sessionStorage.removeItem(key);
      else sessionStorage.setItem(key, JSON.stringify(value));
      return true;
    } catch (e) { return false; } // storage full or disabled: the size check still protects the text
  }

  function load(key) {
    try {
      var value = JSON.parse(sessionStorage.getItem(key) || "null");
      return value && Date.now() - value.at < MAX_AGE_MS ? value : null;
    } catch (e) { return null; }
  }

  function utf8Length(text) {
    var n = 0;
    for (var i = 0; i < text.length; i++) {
      var c = text.charCodeAt(i);
      if (c < 0x80) n += 1;
      else if (c < 0x800) n += 2;
      else if (c >= 0xd800 && c < 0xdc00) { n += 4; i++; } // a surrogate pair is one 4-byte character
      else n += 3;
    }
    return n;
  }

  // How many bytes and fields the browser will send (file contents excluded: Django counts them apart).
  function measure(form, submitter) {
    var data;
    try { data = submitter ? new FormData(form, submitter) : new FormData(form); } catch (e) { data = new FormData(form); }
    var multipart = (form.enctype || "").toLowerCase() === "multipart/form-data";
    var bytes = 0, fields = 0;
    data.forEach(function (value, name) {
      fields += 1;
      if (typeof value !== "string") return;
      // form-encoded: every byte outside [A-Za-z0-9*-._] becomes %XX; newlines are sent as CRLF
      var text = value.replace(/\r?\n/g, "\r\n");
      bytes += multipart ? utf8Length(name) + utf8Length(text) + 100 : encodeURIComponent(name).length + encodeURIComponent(text).length + 2;
    });
    return { bytes: bytes, fields: fields };
  }

  function mb(bytes) { return (bytes / 1048576).toFixed(1) + " MB"; }

  function say(form, kind, html) {
    var old = form.parentNode.querySelector('[data-form-note="' + kind + '"]');
    if (old) old.remove();
    var note = document.createElement("div");
    note.className = "alert " + (kind === "restored" ? "alert-info" : "alert-danger");
    note.setAttribute("role", "alert");
    note.setAttribute("data-form-note", kind);
    note.setAttribute("data-testid", "form-" + kind);
    note.textContent = html;
    form.parentNode.insertBefore(note, form);
    note.scrollIntoView({ block: "center" });
    return note;
  }

  function tooLarge(form, submitter) {
    var size = measure(form, submitter);
    if (POST_MAX && size.bytes > POST_MAX) {
      say(form, "too-large", "提交的内容过大（约 " + mb(size.bytes) + "，服务器一次最多接收 " + mb(POST_MAX) +
        "），没有提交。您输入的内容仍在页面上，请删减后再提交；照片、录音、录像等文件请用上传功能。");
      return true;
    }
    if (FIELDS_MAX && size.fields > FIELDS_MAX) {
      say(form, "too-large", "提交的栏目过多（" + size.fields + " 个，服务器一次最多接收 " + FIELDS_MAX +
        " 个），没有提交。您输入的内容仍在页面上，请分几次提交。");
      return true;
    }
    return false;
  }

  function formKey(form) {
    var forms = Array.prototype.slice.call(document.forms);
    return { action: form.getAttribute("action") || "", index: forms.indexOf(form), id: form.id || "" };
  }

  function fieldsOf(form) {
    var out = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || el.name === "csrfmiddlewaretoken") return;
      var type = (el.type || "").toLowerCase();
      if (SKIP_TYPES[type]) return;
      if (type === "checkbox" || type === "radio") out.push([el.name, el.value, el.checked]);
      else if (el.tagName === "SELECT" && el.multiple) {
        out.push([el.name, Array.prototype.filter.call(el.options, function (o) { return o.selected; }).map(function (o) { return o.value; })]);
      } else out.push([el.name, el.value]);
    });
    return out;
  }

  function keepDraft(form) {
    if (form.method.toLowerCase() !== "post" || form.hasAttribute("data-no-draft")) return;
    if (form.querySelector('input[type="password"]')) return; // log-in and password forms: never stored
    var fields = fieldsOf(form);
    if (!fields.some(function (f) { return typeof f[1] === "string" && f[1].length > 0; })) return;
    store(PENDING, { url: here(), user: USER, form: formKey(form), fields: fields, at: Date.now() });
  }

  function findForm(key) {
    var forms = Array.prototype.slice.call(document.forms);
    if (key.id) { var byId = document.getElementById(key.id); if (byId && byId.tagName === "FORM") return byId; }
    var same = forms.filter(function (f) { return (f.getAttribute("action") || "") === key.action; });
    return forms[key.index] && same.indexOf(forms[key.index]) >= 0 ? forms[key.index] : same[0] || null;
  }

  function restore(draft) {
    var form = findForm(draft.form);
    if (!form) return false;
    var put = 0;
    draft.fields.forEach(function (f) {
      var els = form.querySelectorAll('[name="' + (window.CSS && CSS.escape ? CSS.escape(f[0]) : f[0]) + '"]');
      Array.prototype.forEach.call(els, function (el) {
        var type = (el.type || "").toLowerCase();
        if (type === "checkbox" || type === "radio") { if (el.value === f[1]) el.checked = !!f[2]; }
        else if (el.tagName === "SELECT" && el.multiple && Array.isArray(f[1])) {
          Array.prototype.forEach.call(el.options, function (o) { o.selected = f[1].indexOf(o.value) >= 0; });
        } else if (!SKIP_TYPES[type]) { el.value = f[1]; if (f[1]) put += 1; }
      });
    });
    say(form, "restored", "已恢复您上次提交未成功时输入的内容（" + put + " 个栏目），请检查、删减后再提交。");
    return true;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post") return;
    if (form.hasAttribute("data-draft-clear")) { store(PENDING, null); store(KEPT, null); return; }
    if (tooLarge(form, event.submitter)) {
      event.preventDefault();
      event.stopImmediatePropagation(); // htmx listens on the form: it must not send either
      return;
    }
    keepDraft(form);
  }, true);

  // htmx requests not started by a submit (e.g. autosave on input): refused on the page when too large.
  document.addEventListener("htmx:confirm", function (event) {
    var el = event.target;
    var form = el && (el.tagName === "FORM" ? el : el.closest && el.closest("form"));
    if (form && (form.method || "").toLowerCase() === "post" && tooLarge(form, null)) event.preventDefault();
  });
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail && event.detail.xhr;
    var el = event.target;
    var form = el && (el.tagName === "FORM" ? el : el.closest && el.closest("form"));
    if (xhr && form && (xhr.status === 400 || xhr.status === 413)) {
      say(form, "too-large", "服务器拒收了这次提交（内容过大或格式错误），没有保存。您输入的内容仍在页面上，请删减后再试。");
    }
  });

  function onPage() {
    var body = document.body;
    if (body && body.getAttribute("data-draft") === "keep") {
      // One of our error pages answered the form: keep what it sent, and say so.
      var pending = load(PENDING);
      if (pending) {
        store(KEPT, pending);
        store(PENDING, null);
      }
      var note = document.querySelector("[data-draft-note]");
      if (note && (pending || load(KEPT))) note.hidden = false;
      var back = document.querySelector("[data-back]");
      var kept = load(KEPT);
      if (back && kept) back.setAttribute("href", kept.url);
      return;
    }
    store(PENDING, null); // the form was answered by a page of its own: saved, or shown again with its values
    var draft = load(KEPT);
    if (!draft) return;
    if (USER && draft.user !== USER) { store(KEPT, null); return; } // someone else's: gone, unseen
    if (draft.user === USER && draft.url === here() && restore(draft)) store(KEPT, null);
  }

  document.addEventListener("click", function (event) {
    var back = event.target.closest && event.target.closest("[data-back]");
    if (!back || !load(KEPT)) return;
    event.preventDefault();
    location.href = back.getAttribute("href"); // a fresh load of the form's page, where the draft goes back
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", onPage);
  else onPage();
  window.addEventListener("pageshow", function (event) { if (event.persisted) onPage(); });
})();
