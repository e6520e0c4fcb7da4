/* Timeline page: places segments, gaps, overlaps and ticks from their data-left / data-width (percent
   of the block's span; set through the CSSOM, since the CSP allows no inline style), and plays a
   clicked segment's preview in the side player. Loaded as a static file: no inline script. */
(function () {
  "use strict";

  function place(root) {
    root.querySelectorAll("[data-left]").forEach(function (el) {
      el.style.left = el.dataset.left + "%";
      if (el.dataset.width) el.style.width = el.dataset.width + "%";
    });
  }

  function play(seg) {
    var video = document.getElementById("tl-video");
    var audio = document.getElementById("tl-audio");
    var image = document.getElementById("tl-image");
    var open = document.getElementById("tl-open");
    [video, audio, image].forEach(function (el) { el.classList.add("d-none"); el.removeAttribute("src"); });
    if (video.pause) video.pause();
    if (audio.pause) audio.pause();
    document.getElementById("tl-title").textContent = seg.dataset.name;
    document.getElementById("tl-empty").classList.add("d-none");
    document.querySelectorAll(".lh-tl-seg.lh-tl-active").forEach(function (el) { el.classList.remove("lh-tl-active"); });
    seg.classList.add("lh-tl-active");
    open.href = seg.getAttribute("href");
    open.classList.remove("d-none");
    var src = seg.dataset.preview;
    var type = seg.dataset.previewType || "";
    if (!src) {
      var empty = document.getElementById("tl-empty");
      empty.textContent = "该记录还没有预览（生成中或无法解码），请打开记录页查看。";
      empty.classList.remove("d-none");
      return;
    }
    if (type.indexOf("image/") === 0) {
      image.src = src;
      image.alt = seg.dataset.name;
      image.classList.remove("d-none");
    } else if (type.indexOf("audio/") === 0) {
      audio.src = src;
      audio.classList.remove("d-none");
      audio.play().catch(function () { /* autoplay refused: the controls are there */ });
    } else {
      if (seg.dataset.thumbnail) video.poster = seg.dataset.thumbnail;
      video.src = src;
      video.classList.remove("d-none");
      video.play().catch(function () { /* autoplay refused: the controls are there */ });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    place(document);
    document.querySelectorAll(".lh-tl-seg").forEach(function (seg) {
      seg.addEventListener("click", function (ev) {
        if (ev.ctrlKey || ev.metaKey || ev.shiftKey) return; // open the record page in a new tab
        ev.preventDefault();
        play(seg);
      });
    });
    var target = window.location.hash && document.querySelector(".lh-tl-seg" + window.location.hash);
    if (target) play(target);
  });
})();
