// The Relay chat page: pick a room and a name, see the room's history, send and
// receive, see who is present. Speaks the chat events of the websocket transport
// (README: "Chat events") through socket.io-client, bundled from npm.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const messages = $("messages");
  let socket = null;
  let me = "";

  function time(ts) {
    const t = document.createElement("time");
    t.textContent = new Date(ts).toLocaleTimeString();
    return t;
  }

  function addMessage(m, kind) {
    const li = document.createElement("li");
    if (kind) li.className = kind;
    if (socket && m.sender === socket.id) li.classList.add("mine");
    li.dataset.id = m.id || "";
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = m.user || "anonymous";
    const text = document.createElement("span");
    text.className = "text";
    text.textContent = m.text;
    li.append(who, text);
    if (m.ts) li.append(time(m.ts));
    messages.append(li);
    messages.scrollTop = messages.scrollHeight;
  }

  function addSystem(text) {
    const li = document.createElement("li");
    li.className = "system";
    li.textContent = text;
    messages.append(li);
    messages.scrollTop = messages.scrollHeight;
  }

  function refreshPresence() {
    socket.emit("presence", (members) => {
      if (!Array.isArray(members)) return;
      const list = $("members");
      list.replaceChildren();
      for (const m of members) {
        const li = document.createElement("li");
        li.textContent = (m.user || "anonymous") + (m.sid === socket.id ? " (you)" : "");
        list.append(li);
      }
      $("count").textContent = String(members.length);
    });
  }

  function join(room, user) {
    me = user;
    $("room-name").textContent = room;
    $("join").hidden = true;
    $("chat").hidden = false;
    socket = io({ auth: { room, user } });
    socket.on("connect", () => {
      $("status").textContent = socket.recovered ? "reconnected" : "connected";
      $("status").className = "status ok";
      if (!socket.recovered) {
        messages.replaceChildren();
        socket.emit("history", { limit: 50 }, (history) => {
          if (Array.isArray(history)) history.forEach((m) => addMessage(m, "history"));
          else if (history && history.error) addSystem(history.error);
        });
      }
      refreshPresence();
    });
    socket.on("connect_error", (err) => {
      $("status").textContent = "error: " + err.message;
      $("status").className = "status error";
    });
    socket.on("disconnect", () => {
      $("status").textContent = "disconnected";
      $("status").className = "status";
    });
    socket.on("message", (m) => addMessage(m));
    socket.on("join", (m) => { addSystem((m.user || "someone") + " joined"); refreshPresence(); });
    socket.on("leave", (m) => { addSystem((m.user || "someone") + " left"); refreshPresence(); });
  }

  $("join").addEventListener("submit", (e) => {
    e.preventDefault();
    const room = $("room").value.trim();
    const user = $("user").value.trim();
    if (typeof io !== "function") {
      $("join-error").textContent = "socket.io client bundle missing: run `npm ci` and rebuild";
      $("join-error").hidden = false;
      return;
    }
    if (room && user) join(room, user);
  });

  $("send").addEventListener("submit", (e) => {
    e.preventDefault();
    const input = $("text");
    const text = input.value.trim();
    if (!text || !socket) return;
    input.value = "";
    socket.emit("message", { text }, (ack) => {
      if (ack && ack.error) { addSystem("not sent: " + ack.error); return; }
      // The server does not echo a message to its sender: show our own on its ack.
      addMessage({ id: ack.id, text, user: me, sender: socket.id, ts: Date.now() });
    });
  });
})();
