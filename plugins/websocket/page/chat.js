// The Relay chat page: pick a room and a name, see the room's history, send and
// receive, see who is present. Speaks the chat events of the websocket transport
// (README: "Chat events") through socket.io-client, bundled from npm.
//
// Everything a peer sends is put into the page with textContent, never as HTML, and
// nothing it sends decides how it is shown: a message is styled as the viewer's own
// only from the `sender` the server set (one of this page's socket ids) or an id the
// server acked to this page, never from a field of the message (`mine`).
//
// History comes in pages: the server sends the newest messages that fit its byte
// budget and, when some did not, a second ack argument {more, before}; "Load older
// messages" asks `before` the oldest one shown.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const messages = $("messages");
  const ACK_TIMEOUT_MS = 10000;
  const HISTORY_PAGE = 50;      // messages asked for per history request
  const SERVER_FIELDS = ["id", "room", "ts", "sender", "user"];

  let socket = null;
  let me = "";
  let shown = new Set();        // ids of the messages on screen
  let members = new Map();      // sid -> {sid, user, room}
  const ownSids = new Set();    // every socket id this page has had
  const ownIds = new Set();     // ids the server acked for this page's messages
  let olderCursor = null;       // `before` for the next older page ("": the newest); null: none left
  let loadingOlder = false;

  // --- rendering -------------------------------------------------------------

  function timeOf(ts) {
    const t = document.createElement("time");
    const d = new Date(ts);
    t.dateTime = d.toISOString();
    t.title = d.toLocaleString();
    t.textContent = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    return t;
  }

  /** The text to show for a message: its `text`, else its own fields as JSON. */
  function bodyOf(m) {
    if (typeof m.text === "string") return m.text;
    const own = {};
    for (const [k, v] of Object.entries(m)) if (!SERVER_FIELDS.includes(k)) own[k] = v;
    return JSON.stringify(own);
  }

  function nearBottom() {
    return messages.scrollHeight - messages.scrollTop - messages.clientHeight < 40;
  }

  function scrollDown(force) {
    if (force || nearBottom()) messages.scrollTop = messages.scrollHeight;
  }

  /** Whether the server says this page sent `m` (never what `m` says of itself). */
  function isOwn(m) {
    return (typeof m.sender === "string" && ownSids.has(m.sender)) ||
      (typeof m.id === "string" && ownIds.has(m.id));
  }

  function messageItem(m, kind, own) {
    const li = document.createElement("li");
    li.className = "msg";
    if (kind) li.classList.add(kind);
    if (own || isOwn(m)) li.classList.add("mine");
    if (m.id) li.dataset.id = m.id;
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = typeof m.user === "string" && m.user ? m.user : "anonymous";
    const text = document.createElement("span");
    text.className = "text";
    text.textContent = bodyOf(m);
    li.append(who, text);
    if (typeof m.ts === "number") li.append(timeOf(m.ts));
    return li;
  }

  function addMessage(m, kind, own) {
    if (m.id) {
      if (shown.has(m.id)) return null;
      shown.add(m.id);
    }
    const stick = nearBottom();
    const li = messageItem(m, kind, own);
    messages.append(li);
    scrollDown(stick);
    return li;
  }

  /**
   * History goes above whatever is shown: the first page above the live messages that
   * arrived while it was fetched (then to the bottom), an older page above it all
   * (the view stays where the reader is).
   */
  function addHistory(list, older) {
    const fragment = document.createDocumentFragment();
    for (const m of list) {
      if (!m || typeof m !== "object" || (m.id && shown.has(m.id))) continue;
      if (m.id) shown.add(m.id);
      fragment.append(messageItem(m, "history"));
    }
    const fromBottom = messages.scrollHeight - messages.scrollTop;
    messages.prepend(fragment);
    if (older) messages.scrollTop = messages.scrollHeight - fromBottom;
    else scrollDown(true);
  }

  /**
   * Where the page before `list` starts, from the ack's second argument when the
   * server cut the page short, else from a full page's oldest message.
   */
  function nextCursor(list, page, asked) {
    if (page && page.more) return typeof page.before === "string" ? page.before : asked;
    if (list.length >= HISTORY_PAGE && list[0] && typeof list[0].id === "string") return list[0].id;
    return null;
  }

  function setOlder(cursor) {
    olderCursor = cursor;
    $("older").hidden = cursor === null;
    $("older").disabled = false;
  }

  function addSystem(text) {
    const stick = nearBottom();
    const li = document.createElement("li");
    li.className = "system";
    li.textContent = text;
    messages.append(li);
    scrollDown(stick);
  }

  function renderMembers() {
    const list = $("members");
    const sorted = [...members.values()].sort((a, b) => {
      const mine = (b.sid === socket?.id) - (a.sid === socket?.id);
      return mine || String(a.user || "").localeCompare(String(b.user || ""));
    });
    list.replaceChildren(
      ...sorted.map((m) => {
        const li = document.createElement("li");
        li.dataset.sid = m.sid;
        li.textContent = m.user || "anonymous";
        if (socket && m.sid === socket.id) {
          li.classList.add("you");
          const you = document.createElement("span");
          you.className = "tag";
          you.textContent = " (you)";
          li.append(you);
        }
        return li;
      }),
    );
    $("count").textContent = String(members.size);
  }

  function setStatus(text, kind) {
    $("status").textContent = text;
    $("status").className = "status" + (kind ? " " + kind : "");
  }

  // --- the connection ----------------------------------------------------------

  function refreshPresence() {
    socket.timeout(ACK_TIMEOUT_MS).emit("presence", (err, list) => {
      if (err || !Array.isArray(list)) return;
      members = new Map(list.filter((m) => m && m.sid).map((m) => [m.sid, m]));
      renderMembers();
    });
  }

  /** Asks one page of history: the newest (`before` "") or the one before `before`. */
  function loadHistory(before) {
    const older = before !== "";
    const query = older ? { limit: HISTORY_PAGE, before } : { limit: HISTORY_PAGE };
    const asking = socket;
    loadingOlder = true;
    $("older").disabled = true;
    socket.timeout(ACK_TIMEOUT_MS).emit("history", query, (err, history, page) => {
      if (socket !== asking) return; // left or rejoined meanwhile
      loadingOlder = false;
      if (err) {
        addSystem("history unavailable: timed out");
        setOlder(before);
      } else if (Array.isArray(history)) {
        addHistory(history, older);
        setOlder(nextCursor(history, page, before));
      } else {
        if (history && history.error) addSystem(String(history.error));
        setOlder(null);
      }
    });
  }

  function showJoin(error) {
    $("chat").hidden = true;
    $("join").hidden = false;
    $("join-error").textContent = error || "";
    $("join-error").hidden = !error;
    document.title = "Relay chat";
  }

  function leave() {
    if (socket) {
      socket.removeAllListeners();
      socket.disconnect();
      socket = null;
    }
    messages.replaceChildren();
    shown = new Set();
    members = new Map();
    setOlder(null);
    renderMembers();
    showJoin();
  }

  function join(room, user, token) {
    me = user || "me";
    $("room-name").textContent = room;
    $("me").textContent = me;
    $("join-error").hidden = true;
    $("join").hidden = true;
    $("chat").hidden = false;
    document.title = "#" + room + " \u2013 Relay chat";
    history.replaceState(null, "", "#" + encodeURIComponent(room));
    setStatus("connecting\u2026");

    // With a token the server names us from it (an auth plugin); `user` is then ignored.
    socket = io({ auth: token ? { room, user, token } : { room, user } });
    socket.on("connect", () => {
      ownSids.add(socket.id);
      setStatus(socket.recovered ? "reconnected" : "connected", "ok");
      if (!socket.recovered) {
        // A new session: what is on screen may be stale, the history is not.
        messages.replaceChildren();
        shown = new Set();
        setOlder(null);
        loadHistory("");
      }
      refreshPresence();
      $("text").focus();
    });
    socket.on("connect_error", (err) => {
      if (!socket.active) {
        // The server refused the connection (e.g. no room): it will not retry.
        leave();
        showJoin("cannot join: " + err.message);
        return;
      }
      setStatus("reconnecting\u2026 (" + err.message + ")", "error");
    });
    socket.on("expired", (e) => {
      leave();
      showJoin("signed out: " + (e && e.reason ? e.reason : "token expired"));
    });
    socket.on("disconnect", (reason) => {
      setStatus(socket.active ? "reconnecting\u2026" : "disconnected (" + reason + ")", "error");
    });
    socket.on("message", (m) => {
      if (m && typeof m === "object") addMessage(m);
    });
    socket.on("join", (m) => {
      if (!m || !m.sid) return;
      const known = members.has(m.sid);
      members.set(m.sid, m);
      renderMembers();
      if (!known) addSystem((m.user || "someone") + " joined");
    });
    socket.on("leave", (m) => {
      if (!m || !m.sid) return;
      members.delete(m.sid);
      renderMembers();
      addSystem((m.user || "someone") + " left");
    });
  }

  function send(text) {
    // The server does not echo a message to its sender: show ours at once, pending,
    // and confirm it (or mark it failed) on its ack.
    const li = addMessage({ text, user: me, ts: Date.now() }, "pending", true);
    scrollDown(true);
    socket.timeout(ACK_TIMEOUT_MS).emit("message", { text }, (err, ack) => {
      li.classList.remove("pending");
      const error = err ? "timed out" : ack && ack.error ? String(ack.error) : "";
      if (error || !ack || typeof ack.id !== "string") {
        li.classList.add("failed");
        li.title = "not sent: " + (error || "no id in the ack");
        addSystem("not sent: " + (error || "no id in the ack"));
        return;
      }
      li.dataset.id = ack.id;
      shown.add(ack.id);
      ownIds.add(ack.id);
    });
  }

  // --- the forms -----------------------------------------------------------------

  // A token may come in the page's address (?token=...), as a login redirect would
  // hand it over; it is then taken off the address bar.
  const query = new URLSearchParams(location.search);
  if (query.has("token")) {
    $("token").value = query.get("token");
    query.delete("token");
    const rest = query.toString();
    history.replaceState(null, "", location.pathname + (rest ? "?" + rest : "") + location.hash);
  }

  if (location.hash.length > 1) {
    try {
      $("room").value = decodeURIComponent(location.hash.slice(1));
    } catch (_) { /* a malformed hash keeps the default room */ }
  }

  $("join").addEventListener("submit", (e) => {
    e.preventDefault();
    const room = $("room").value.trim();
    const user = $("user").value.trim();
    const token = $("token").value.trim();
    if (typeof io !== "function") {
      showJoin("socket.io client bundle missing: run `npm ci` and rebuild");
      return;
    }
    if (!room) return;
    if (!user && !token) {
      showJoin("a name, or a token, is needed");
      return;
    }
    join(room, user, token);
  });

  $("leave").addEventListener("click", leave);

  $("older").addEventListener("click", () => {
    if (socket && olderCursor !== null && !loadingOlder) loadHistory(olderCursor);
  });

  $("send").addEventListener("submit", (e) => {
    e.preventDefault();
    const input = $("text");
    const text = input.value.trim();
    if (!text || !socket) return;
    input.value = "";
    send(text);
  });
})();
