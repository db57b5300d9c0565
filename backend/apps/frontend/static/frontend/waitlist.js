/*
 * The waiting list's pages (frontend/waitlist_page.html), on the public API
 * only: join (POST /api/waitlist/), an offer from its email's link (see it,
 * book it or say no) and leaving from the confirmation's link. Opening a
 * link does nothing by itself (mail scanners open links too): the guest
 * presses a button. Texts in English and Portuguese, from the browser.
 */
"use strict";

(function () {
  const TEXTS = {
    en: {
      skip_to_content: "Skip to content",
      nav_book: "Book",
      nav_waitlist: "Waiting list",
      join_title: "Wait for a time",
      join_intro: "No free time that suits you? Tell us which days and hours would, and we email you as soon as one frees. Guests are offered times in the order they asked.",
      service: "Service",
      staff: "With",
      anyone: "Anyone",
      date_from: "From",
      date_to: "Until",
      time_from: "Not before",
      time_to: "Finished by",
      optional: "(optional)",
      name: "Name",
      email: "Email",
      phone: "Phone",
      join: "Join the waiting list",
      joined: "Thank you. Check your email: the confirmation has a link to leave the list, and we write again as soon as a time frees.",
      offer_title: "A time is free for you",
      accept: "Book this time",
      decline: "No, thank you",
      held_until: "We keep it for you until {time}.",
      offer_until: "Everyone waiting hears of it: the first to book has it. Open until {time}.",
      booked: "Booked. Your reference is {reference}: please pay {amount} {currency} by {time}, quoting it.",
      manage: "Manage my booking",
      declined: "Done: the time goes to the next guest waiting. You stay on the list for other times.",
      offer_over: "This offer is no longer open.",
      leave_title: "Leave the waiting list",
      leave_intro: "We will not email you about free times any more.",
      leave: "Leave the waiting list",
      left: "You have left the waiting list.",
      no_token: "This link is incomplete. Please open the link from the email.",
      times_in: "Times are shown in",
      failed: "Something went wrong. Please try again.",
      error_offer_expired: "This offer ran out and passed to the next guest waiting.",
      error_offer_closed: "This offer was already answered.",
      error_slot_unavailable: "Someone else booked this time first.",
      error_waitlist_link_unknown: "This link is not valid. Please open the link from the email.",
      error_waitlist_limit_reached: "You are already waiting for as many times as one guest may.",
      error_throttled: "Too many requests. Please wait a minute and try again.",
    },
    pt: {
      skip_to_content: "Saltar para o conteúdo",
      nav_book: "Marcar",
      nav_waitlist: "Lista de espera",
      join_title: "Esperar por uma vaga",
      join_intro: "Nenhum horário livre lhe convém? Diga-nos que dias e horas serviriam e enviamos um email assim que um vagar. As vagas são oferecidas pela ordem dos pedidos.",
      service: "Serviço",
      staff: "Com",
      anyone: "Qualquer pessoa",
      date_from: "De",
      date_to: "Até",
      time_from: "Não antes das",
      time_to: "Terminar até às",
      optional: "(opcional)",
      name: "Nome",
      email: "Email",
      phone: "Telefone",
      join: "Entrar na lista de espera",
      joined: "Obrigado. Veja o seu email: a confirmação tem um link para sair da lista, e escrevemos de novo assim que vagar um horário.",
      offer_title: "Há um horário livre para si",
      accept: "Marcar este horário",
      decline: "Não, obrigado",
      held_until: "Guardamo-lo para si até {time}.",
      offer_until: "Todos os que esperam são avisados: fica com ele quem marcar primeiro. Aberto até {time}.",
      booked: "Marcado. A sua referência é {reference}: pague {amount} {currency} até {time}, indicando-a.",
      manage: "Gerir a minha marcação",
      declined: "Feito: o horário passa ao próximo da lista. Continua na lista para outros horários.",
      offer_over: "Esta oferta já não está aberta.",
      leave_title: "Sair da lista de espera",
      leave_intro: "Não voltaremos a enviar emails sobre horários livres.",
      leave: "Sair da lista de espera",
      left: "Saiu da lista de espera.",
      no_token: "Este link está incompleto. Abra o link do email.",
      times_in: "Horas apresentadas em",
      failed: "Algo correu mal. Tente de novo.",
      error_offer_expired: "Esta oferta expirou e passou ao próximo da lista.",
      error_offer_closed: "Esta oferta já foi respondida.",
      error_slot_unavailable: "Outra pessoa marcou este horário primeiro.",
      error_waitlist_link_unknown: "Este link não é válido. Abra o link do email.",
      error_waitlist_limit_reached: "Já espera por tantos horários quantos um cliente pode.",
      error_throttled: "Demasiados pedidos. Aguarde um minuto e tente de novo.",
    },
  };
  const wanted = new URLSearchParams(location.search).get("lang");
  const languages = [wanted || ""].concat(navigator.languages || [navigator.language || "en"]);
  const language = languages
    .map(function (code) { return String(code).toLowerCase().split("-")[0]; })
    .find(function (code) { return TEXTS[code]; }) || "en";
  const app = document.getElementById("waitlist-app");
  const zone = app.dataset.timezone;
  const token = new URLSearchParams(location.search).get("token") || "";

  function t(key, params) {
    let text = TEXTS[language][key] || TEXTS.en[key] || key;
    for (const name in params || {}) text = text.replace("{" + name + "}", params[name]);
    return text;
  }
  function $(id) { return document.getElementById(id); }
  function when(iso) {
    return new Intl.DateTimeFormat(language, {
      dateStyle: "full", timeStyle: "short", timeZone: zone,
    }).format(new Date(iso));
  }
  function localToday(offsetDays) {
    const parts = new Intl.DateTimeFormat("en-CA", { timeZone: zone }).format(new Date());
    const day = new Date(parts + "T12:00:00Z");
    day.setUTCDate(day.getUTCDate() + (offsetDays || 0));
    return day.toISOString().slice(0, 10);
  }
  function say(boxId, kind, text) {
    const box = $(boxId);
    box.replaceChildren();
    if (!text) return;
    const p = document.createElement("p");
    p.className = "notice notice-" + kind;
    p.textContent = text;
    box.append(p);
  }
  function errorText(response) {
    const code = response.data && response.data.code;
    if (code && (TEXTS[language]["error_" + code] || TEXTS.en["error_" + code])) {
      return t("error_" + code);
    }
    return (response.data && response.data.detail) || t("failed");
  }
  async function api(method, path, body) {
    try {
      const response = await fetch("/api/" + path, {
        method: method,
        headers: body === undefined
          ? { Accept: "application/json" }
          : { Accept: "application/json", "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        // A guest page: never act with a staff session open in this browser.
        credentials: "omit",
        cache: "no-store",
      });
      let data = {};
      try { data = await response.json(); } catch (error) { data = {}; }
      return { ok: response.ok, status: response.status, data: data };
    } catch (error) {
      return { ok: false, status: 0, data: {} };
    }
  }
  async function list(path) {
    const response = await api("GET", path);
    return response.ok ? response.data.results : [];
  }

  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  document.documentElement.lang = language;

  /* ---------- join ---------- */
  async function showJoin() {
    $("join-view").hidden = false;
    const services = await list("services/?page_size=100");
    const staff = await list("staff/?page_size=100");
    const serviceSelect = $("service");
    for (const service of services) {
      serviceSelect.append(new Option(service.name, String(service.id)));
    }
    function fillStaff() {
      const chosen = Number(serviceSelect.value);
      const select = $("staff");
      select.replaceChildren(new Option(t("anyone"), ""));
      for (const member of staff) {
        if (member.services.includes(chosen)) select.append(new Option(member.name, String(member.id)));
      }
    }
    serviceSelect.addEventListener("change", fillStaff);
    fillStaff();
    const today = localToday(0);
    const last = localToday(Number(app.dataset.maxDays));
    for (const id of ["date_from", "date_to"]) { $(id).min = today; $(id).max = last; }
    $("date_from").value = today;
    $("date_to").value = localToday(7);
    $("join-form").addEventListener("submit", join);
  }

  async function join(event) {
    event.preventDefault();
    const form = $("join-form");
    for (const error of form.querySelectorAll(".field-error")) { error.hidden = true; error.textContent = ""; }
    const body = { language: language };
    for (const name of ["service", "staff", "date_from", "date_to", "time_from", "time_to", "name", "email", "phone"]) {
      const value = form.elements[name].value.trim();
      if (value) body[name] = ["service", "staff"].includes(name) ? Number(value) : value;
    }
    $("join-button").disabled = true;
    const response = await api("POST", "waitlist/", body);
    $("join-button").disabled = false;
    if (response.ok) {
      form.hidden = true;
      say("join-messages", "success", t("joined"));
      return;
    }
    const errors = (response.data && response.data.errors) || {};
    let placed = false;
    for (const field in errors) {
      const slot = $(field + "-error");
      if (!slot) continue;
      slot.textContent = [].concat(errors[field]).map(function (e) { return e.message || e; }).join(" ");
      slot.hidden = false;
      placed = true;
    }
    say("join-messages", "error", placed ? (response.data.detail || t("failed")) : errorText(response));
  }

  /* ---------- an offer ---------- */
  async function showOffer() {
    $("offer-view").hidden = false;
    if (!token) { say("offer-messages", "error", t("no_token")); return; }
    const response = await api("POST", "waitlist/offers/show/", { token: token });
    if (!response.ok) { say("offer-messages", "error", errorText(response)); return; }
    const offer = response.data;
    const details = $("offer-details");
    const what = document.createElement("p");
    what.className = "summary";
    what.textContent = offer.service + " · " + offer.staff + " · " + when(offer.start_time);
    const until = document.createElement("p");
    until.className = "muted";
    until.textContent = t(offer.held ? "held_until" : "offer_until", { time: when(offer.expires_at) });
    details.replaceChildren(what, until);
    if (offer.status !== "open" || new Date(offer.expires_at) <= new Date()) {
      say("offer-messages", "info", t("offer_over"));
      return;
    }
    $("offer-actions").hidden = false;
    $("accept-button").addEventListener("click", accept);
    $("decline-button").addEventListener("click", decline);
  }

  async function accept() {
    $("accept-button").disabled = $("decline-button").disabled = true;
    const response = await api("POST", "waitlist/offers/accept/", { token: token });
    if (!response.ok) {
      $("accept-button").disabled = $("decline-button").disabled = false;
      say("offer-messages", "error", errorText(response));
      return;
    }
    const booking = response.data;
    const pay = booking.payment_instructions || {};
    $("offer-actions").hidden = true;
    say("offer-messages", "success", t("booked", {
      reference: booking.reference,
      amount: pay.amount || booking.amount_due,
      currency: pay.currency || "",
      time: when(booking.payment_expires_at),
    }));
    const link = document.createElement("a");
    link.href = "/booking/?reference=" + encodeURIComponent(booking.reference);
    link.textContent = t("manage");
    $("offer-booked").replaceChildren(link);
  }

  async function decline() {
    $("accept-button").disabled = $("decline-button").disabled = true;
    const response = await api("POST", "waitlist/offers/decline/", { token: token });
    if (!response.ok) { say("offer-messages", "error", errorText(response)); return; }
    $("offer-actions").hidden = true;
    say("offer-messages", "success", t("declined"));
  }

  /* ---------- leave ---------- */
  function showLeave() {
    $("leave-view").hidden = false;
    if (!token) { say("leave-messages", "error", t("no_token")); $("leave-button").hidden = true; return; }
    $("leave-button").addEventListener("click", async function () {
      $("leave-button").disabled = true;
      const response = await api("POST", "waitlist/leave/", { token: token });
      if (!response.ok) { $("leave-button").disabled = false; say("leave-messages", "error", errorText(response)); return; }
      $("leave-button").hidden = true;
      say("leave-messages", "success", t("left"));
    });
  }

  ({ join: showJoin, offer: showOffer, leave: showLeave }[app.dataset.view] || showJoin)();
})();
