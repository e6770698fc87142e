// Lifeline console: the board updates itself from the server's event stream; the language
// menu applies on change. Everything works without this script, only less live.
(function () {
  'use strict';
  document.querySelectorAll('select[data-autosubmit]').forEach(function (select) {
    select.addEventListener('change', function () { select.form.submit(); });
    var button = select.form.querySelector('button');
    if (button) button.hidden = true;
  });

  var board = document.getElementById('board-live');
  if (!board || !window.EventSource) return;
  var state = document.getElementById('live-state');
  var pending = null;
  var source = null;

  function show(live) {
    if (!state) return;
    state.textContent = live ? state.dataset.live : state.dataset.offline;
    state.classList.toggle('on', live);
  }

  function typing() {
    var active = document.activeElement;
    if (active && board.contains(active) && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName)) return true;
    return Array.prototype.some.call(board.querySelectorAll('input:not([type=hidden])'), function (i) {
      return i.value !== '';
    });
  }

  function refresh() {
    pending = null;
    // Never wipe what someone is typing (an acknowledgement note): refresh once they are done.
    if (typing()) { pending = setTimeout(refresh, 2000); return; }
    fetch(board.dataset.refresh, { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (response) {
        if (response.redirected || response.status === 401) {
          window.location.assign('/console/sign-in?next=' + encodeURIComponent('/console'));
          return null;
        }
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html === null || html === undefined) return;
        // Someone started typing while the board was on its way: keep their words, try later.
        if (typing()) { schedule(); return; }
        var focused = document.activeElement && document.activeElement.id;
        board.innerHTML = html;
        if (focused) { var again = document.getElementById(focused); if (again) again.focus(); }
      })
      .catch(function () { /* offline: the stream's reconnect brings a refresh */ });
  }

  function schedule() {
    if (!pending) pending = setTimeout(refresh, 300);
  }

  function connect() {
    source = new EventSource(board.dataset.stream);
    source.addEventListener('open', function () { show(true); schedule(); });
    source.addEventListener('change', schedule);
    source.addEventListener('error', function () {
      show(false);
      if (source.readyState === EventSource.CLOSED) {
        // The server refused the stream (signed out?) or is gone: try again shortly; a refresh
        // that lands on the sign-in page sends the person there.
        setTimeout(function () { refresh(); connect(); }, 5000);
      }
    });
  }

  connect();
  // Times left move on even when nothing happens.
  setInterval(schedule, 60000);
})();
