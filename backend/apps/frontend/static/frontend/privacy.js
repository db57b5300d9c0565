/*
 * "Your personal data" on Manage my booking: ask for a link to download or
 * erase what the business holds about an email address, and confirm with the
 * link (`/booking/#privacy=<token>`). The answer to a request is the same for
 * any address; only the emailed link proves the address is the guest's.
 */
"use strict";

(function () {
  const TABLES = window.DOCEAMOR_TRANSLATIONS || {};
  const API = "/api/privacy/requests/";

  function t(key, params) {
    const table = TABLES[document.documentElement.lang] || {};
    let text = key in table ? table[key] : (TABLES.en || {})[key];
    if (text === undefined) text = key;
    for (const name of Object.keys(params || {})) {
      text = text.split("{" + name + "}").join(String(params[name]));
    }
    return text;
  }

  function $(id) { return document.getElementById(id); }

  function say(id, text) {
    const box = $(id);
    box.textContent = "";
    if (!text) return;
    const p = document.createElement("p");
    p.className = "notice";
    p.textContent = text;
    box.appendChild(p);
  }

  async function post(path, body) {
    const response = await fetch(path, {
      method: "POST",
      headers: { Accept: "application/json", "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
    });
    let data = null;
    try { data = await response.json(); } catch (error) { data = null; }
    return { status: response.status, data: data };
  }

  function errorText(data) {
    if (data && data.code && ("error_" + data.code) in (TABLES.en || {})) {
      return t("error_" + data.code);
    }
    return (data && data.detail) || "";
  }

  async function ask(event) {
    event.preventDefault();
    const email = $("privacy-email").value.trim();
    if (!email || email.indexOf("@") < 1) {
      say("privacy-messages", t("privacy_bad_email"));
      return;
    }
    const action = (event.submitter && event.submitter.value) || "export";
    const answer = await post(API, { email: email, action: action });
    say("privacy-messages", answer.status === 202 ? t("privacy_sent") : errorText(answer.data));
  }

  async function confirm(token) {
    $("privacy-confirm-button").disabled = true;
    const answer = await post(API + "confirm/", { token: token });
    if (answer.status !== 200) {
      say("privacy-confirm-messages", errorText(answer.data));
      return;
    }
    if (answer.data.action === "export") {
      const blob = new Blob([JSON.stringify(answer.data.export, null, 2)], {
        type: "application/json",
      });
      const link = $("privacy-download");
      link.href = URL.createObjectURL(blob);
      link.hidden = false;
      say("privacy-confirm-messages", t("privacy_exported"));
    } else {
      const erasure = answer.data.erasure;
      const kept = erasure.kept.map(function (row) { return row.reference; });
      say("privacy-confirm-messages", t("privacy_erased", {
        erased: erasure.erased.join(", ") || t("privacy_none"),
        kept: kept.join(", ") || t("privacy_none"),
      }));
    }
  }

  function start() {
    if (!$("privacy-form")) return;
    $("privacy-form").addEventListener("submit", ask);
    const match = /(?:^#|&)privacy=([\w-]+)/.exec(window.location.hash);
    if (!match) return;
    const token = match[1];
    // The token is spent on use; keep it out of the history and the address bar.
    history.replaceState(null, "", window.location.pathname);
    const card = $("privacy-confirm");
    card.hidden = false;
    card.focus();
    $("privacy-confirm-button").addEventListener("click", function () { confirm(token); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
