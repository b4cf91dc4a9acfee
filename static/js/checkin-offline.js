// Check-in that keeps working when the signal drops. Before the doors open the page
// downloads the activity's tickets (the manifest); while offline each scan is decided
// here, queued in this browser and sent in batches when the connection returns. A scan's
// ID is made here, so a batch sent twice counts once. Without this script the page
// still works as plain forms against the server.
(function () {
  "use strict";

  var root = document.getElementById("checkin-offline");
  var form = document.getElementById("checkin-lookup");
  var input = document.getElementById("checkin-code");
  if (!root || !form || !input || !window.fetch || !window.localStorage || !window.JSON) { return; }

  var text = JSON.parse(root.dataset.texts);
  var subEventId = root.dataset.subEvent;
  var manifestKey = "openday:checkin:manifest:" + subEventId;
  var queueKey = "openday:checkin:queue:" + subEventId;
  var reportsKey = "openday:checkin:reports:" + subEventId;
  var BATCH = 200;
  var syncing = false;

  function load(key, fallback) {
    try { return JSON.parse(localStorage.getItem(key)) || fallback; } catch (e) { return fallback; }
  }
  function save(key, value) { localStorage.setItem(key, JSON.stringify(value)); }
  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, name) { return values[name]; });
  }
  function hhmm(iso) {
    var date = new Date(iso);
    return ("0" + date.getHours()).slice(-2) + ":" + ("0" + date.getMinutes()).slice(-2);
  }
  function newId() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    return "10000000-1000-4000-8000-100000000000".replace(/[018]/g, function (c) {
      return (c ^ (window.crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16);
    });
  }
  function device() {
    var name = localStorage.getItem("openday:checkin:device");
    if (!name) {
      name = "door-" + newId().slice(0, 4);
      localStorage.setItem("openday:checkin:device", name);
    }
    return name;
  }
  function csrfToken() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }
  function referenceOf(scanned) {
    var value = (scanned || "").trim();
    // A QR code carries "REFERENCE:signature"; the server checks the signature on sync.
    if (value.indexOf(":") !== -1) { value = value.split(":")[0]; }
    return value.replace(/[\s-]+/g, "").toUpperCase().slice(0, 12);
  }

  var manifest = load(manifestKey, null);
  var queue = load(queueKey, []);
  var reports = load(reportsKey, []);

  function tickets() {
    var byReference = {};
    if (manifest) { manifest.tickets.forEach(function (ticket) { byReference[ticket.reference] = ticket; }); }
    return byReference;
  }
  var byReference = tickets();

  function render() {
    var online = navigator.onLine;
    root.hidden = false;
    root.querySelector("[data-state=connection]").textContent = online ? text.online : text.offline;
    root.classList.toggle("checkin-offline-down", !online);
    root.querySelector("[data-state=queued]").textContent = queue.length;
    root.querySelector("[data-state=refreshed]").textContent =
      manifest ? hhmm(manifest.fetched_at) : text.never;
    var checkedIn = 0;
    var expected = 0;
    Object.keys(byReference).forEach(function (reference) {
      var ticket = byReference[reference];
      if (ticket.status !== "confirmed") { return; }
      expected += ticket.party_size;
      if (ticket.checked_in_at) { checkedIn += ticket.checked_in_people || ticket.party_size; }
    });
    var counter = document.getElementById("checkin-counter");
    // Online, the page's own figures (the server's, refreshed by checkin.js) are the truth;
    // the list kept here may be older than the page.
    if (counter && manifest && !online) {
      counter.querySelector("[data-counter=checked_in]").textContent = checkedIn;
      counter.querySelector("[data-counter=expected]").textContent = expected;
    }
    var list = root.querySelector("[data-state=reports]");
    list.textContent = "";
    reports.slice(-5).forEach(function (report) {
      var item = document.createElement("li");
      item.textContent = report;
      list.appendChild(item);
    });
  }

  function refreshManifest() {
    if (!navigator.onLine) { return Promise.resolve(); }
    return fetch(root.dataset.manifestUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        data.fetched_at = new Date().toISOString();
        manifest = data;
        save(manifestKey, manifest);
        byReference = tickets();
        // Scans not yet sent still count here.
        queue.forEach(function (scan) { markLocal(scan); });
        render();
      })
      .catch(function () { render(); });
  }

  function markLocal(scan) {
    var ticket = byReference[scan.reference];
    if (ticket && !ticket.checked_in_at) {
      ticket.checked_in_at = scan.at;
      ticket.checked_in_people = scan.people || ticket.party_size;
      ticket.checked_in_device = device();
    }
  }

  function sync() {
    if (syncing || !queue.length || !navigator.onLine) { render(); return Promise.resolve(); }
    syncing = true;
    var batch = queue.slice(0, BATCH);
    return fetch(root.dataset.checkinsUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ device: device(), scans: batch })
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var sent = {};
        data.results.forEach(function (result) {
          sent[result.id] = true;
          var scan = batch.filter(function (item) { return item.id === result.id; })[0];
          if (result.result === "checked_in") { return; }
          var message = text.results[result.result] || result.result;
          if (result.result === "already_checked_in") {
            message = format(text.already_at, { time: hhmm(result.checked_in_at), door: result.device || "?" });
          }
          reports.push((scan ? scan.reference + ": " : "") + message);
        });
        queue = queue.filter(function (scan) { return !sent[scan.id]; });
        save(queueKey, queue);
        save(reportsKey, reports.slice(-50));
      })
      .catch(function () { /* no connection after all: the queue waits */ })
      .then(function () {
        syncing = false;
        render();
        if (queue.length && navigator.onLine) { return sync(); }
        return refreshManifest();
      });
  }

  function show(kind, title, detail, ticket) {
    var card = document.getElementById("checkin-local");
    card.hidden = false;
    card.className = "checkin-card card mb-3 " + (kind === "ok" ? "border-success" : "border-danger");
    card.querySelector("[data-local=title]").textContent = title;
    card.querySelector("[data-local=detail]").textContent = detail;
    var confirm = card.querySelector("form");
    confirm.hidden = kind !== "ok";
    var people = card.querySelector("select");
    people.textContent = "";
    if (ticket) {
      for (var n = ticket.party_size; n >= 1; n--) {
        var option = document.createElement("option");
        option.value = n;
        option.textContent = format(text.people_of, { count: n, party: ticket.party_size });
        people.appendChild(option);
      }
      confirm.dataset.reference = ticket.reference;
    }
    people.parentNode.hidden = !ticket || ticket.party_size < 2;
  }

  function decide(scanned) {
    var reference = referenceOf(scanned);
    var ticket = byReference[reference];
    if (!ticket) { return show("no", reference, text.not_on_list); }
    var who = ticket.name + " · " + ticket.phone + " · " + format(text.party, { count: ticket.party_size });
    if (ticket.status === "cancelled") { return show("no", who, text.results.not_confirmed); }
    if (ticket.status !== "confirmed") { return show("no", who, text.waitlisted); }
    if (ticket.checked_in_at) {
      return show("no", who, format(text.already_at, { time: hhmm(ticket.checked_in_at), door: ticket.checked_in_device || device() }));
    }
    var day = new Date(manifest.sub_event.starts_at).toDateString();
    if (day !== new Date().toDateString()) { return show("no", who, text.wrong_day); }
    show("ok", who, ticket.reference, ticket);
  }

  form.addEventListener("submit", function (event) {
    // With a connection the server decides (and shows the whole name); without one, the
    // downloaded list does.
    if (!manifest || navigator.onLine) { return; }
    event.preventDefault();
    decide(input.value);
    input.value = "";
  });

  document.getElementById("checkin-local-confirm").addEventListener("submit", function (event) {
    event.preventDefault();
    var reference = this.dataset.reference;
    var people = parseInt(this.querySelector("select").value, 10);
    var scan = { id: newId(), reference: reference, at: new Date().toISOString(), people: people };
    queue.push(scan);
    save(queueKey, queue);
    markLocal(scan);
    save(manifestKey, manifest);
    var card = document.getElementById("checkin-local");
    card.querySelector("[data-local=detail]").textContent = text.done;
    this.hidden = true;
    input.focus();
    sync();
  });

  window.addEventListener("online", function () { sync(); });
  window.addEventListener("offline", render);
  window.setInterval(function () { if (queue.length) { sync(); } else { refreshManifest(); } }, 30000);

  if ("serviceWorker" in navigator && root.dataset.worker) {
    navigator.serviceWorker.register(root.dataset.worker, { scope: root.dataset.scope }).catch(function () {});
  }
  render();
  refreshManifest().then(sync);
})();
