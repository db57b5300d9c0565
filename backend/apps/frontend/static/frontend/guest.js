/*
 * The guest booking page: service -> day -> time -> details -> payment
 * instructions, and "Manage my booking". Built only on the public API.
 *
 * No inline script, no inline styles, nothing from another origin: the page
 * runs under `default-src 'self'`. Settings come from data attributes on #app.
 */
"use strict";

(function () {
  const app = document.getElementById("app");
  if (!app) return;
  const config = app.dataset;
  const API = config.apiRoot || "/api/";
  const ZONE = config.timezone;
  const CURRENCY = config.currency || "EUR";
  const MAX_RETRIES = 4;

  /* ---------- language ---------- */

  const TABLES = window.DOCEAMOR_TRANSLATIONS || { en: {} };
  const requested = new URLSearchParams(window.location.search).get("lang");
  const browserLanguages = (navigator.languages && navigator.languages.length
    ? navigator.languages
    : [navigator.language || "en"]).map(function (code) { return code.toLowerCase(); });
  const lang = pickLanguage();
  // Format with the guest's own variant (pt-BR, en-US) of the chosen language.
  const locale = browserLanguages.find(function (code) {
    return code.split("-")[0] === lang;
  }) || lang;
  document.documentElement.lang = lang;
  // The server's language for this page: error texts, and the booking's
  // emails, come back in it (pt -> Portugal's Portuguese, the business's).
  const serverLanguage = lang === "pt" ? "pt-PT" : lang;

  function pickLanguage() {
    const candidates = requested ? [requested.toLowerCase()] : browserLanguages;
    for (const code of candidates) {
      if (TABLES[code]) return code;
      const base = code.split("-")[0];
      if (TABLES[base]) return base;
    }
    return "en";
  }

  function t(key, params) {
    const table = TABLES[lang] || {};
    let text = key in table ? table[key] : (TABLES.en || {})[key];
    if (text === undefined) text = key;
    if (params) {
      for (const name of Object.keys(params)) {
        text = text.split("{" + name + "}").join(String(params[name]));
      }
    }
    return text;
  }

  function translateStatic() {
    for (const element of document.querySelectorAll("[data-i18n]")) {
      element.textContent = t(element.dataset.i18n);
    }
    for (const element of document.querySelectorAll("[data-i18n-aria-label]")) {
      element.setAttribute("aria-label", t(element.dataset.i18nAriaLabel));
    }
  }

  /* ---------- dates and times in the business timezone ---------- */

  const timeFormat = new Intl.DateTimeFormat(locale, {
    timeZone: ZONE, hour: "2-digit", minute: "2-digit",
  });
  const dateTimeFormat = new Intl.DateTimeFormat(locale, {
    timeZone: ZONE, weekday: "long", day: "numeric", month: "long", year: "numeric",
    hour: "2-digit", minute: "2-digit", timeZoneName: "short",
  });
  // Calendar days are plain dates: formatted as midnight UTC in UTC.
  const dayFormat = new Intl.DateTimeFormat(locale, {
    timeZone: "UTC", weekday: "long", day: "numeric", month: "long",
  });
  const monthFormat = new Intl.DateTimeFormat(locale, {
    timeZone: "UTC", month: "long", year: "numeric",
  });
  const weekdayFormat = new Intl.DateTimeFormat(locale, { timeZone: "UTC", weekday: "short" });
  const weekdayLongFormat = new Intl.DateTimeFormat(locale, { timeZone: "UTC", weekday: "long" });
  const moneyFormat = new Intl.NumberFormat(locale, { style: "currency", currency: CURRENCY });

  // Server time minus browser time, from the responses' Date header, so the
  // countdown is right even when the guest's clock is not.
  let clockSkew = 0;
  function serverNow() { return Date.now() + clockSkew; }

  function pad(number) { return String(number).padStart(2, "0"); }
  function isoDay(year, month, day) { return year + "-" + pad(month) + "-" + pad(day); }
  function utcDate(iso) {
    const [year, month, day] = iso.split("-").map(Number);
    return new Date(Date.UTC(year, month - 1, day));
  }
  function todayInZone() {
    const parts = {};
    for (const part of new Intl.DateTimeFormat("en-US", {
      timeZone: ZONE, year: "numeric", month: "2-digit", day: "2-digit",
    }).formatToParts(new Date(serverNow()))) {
      parts[part.type] = part.value;
    }
    return parts.year + "-" + parts.month + "-" + parts.day;
  }
  function daysInMonth(year, month) { return new Date(Date.UTC(year, month, 0)).getUTCDate(); }
  function zoneLabel() {
    return ZONE.split("/").pop().replace(/_/g, " ") + " (" + ZONE + ")";
  }
  function formatMoney(amount) { return moneyFormat.format(Number(amount)); }
  function formatWhen(iso) { return dateTimeFormat.format(new Date(iso)); }

  /* ---------- small DOM helpers ---------- */

  function $(id) { return document.getElementById(id); }
  function el(tag, attributes, children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "text") element.textContent = value;
      else if (name === "className") element.className = value;
      else element.setAttribute(name, value === true ? "" : value);
    }
    for (const child of [].concat(children || [])) {
      if (child !== null && child !== undefined) {
        element.append(child instanceof Node ? child : document.createTextNode(child));
      }
    }
    return element;
  }
  function show(element, visible) { element.hidden = !visible; }
  function announce(text) {
    const status = $("status");
    status.textContent = "";
    // A fresh text node after a tick is announced even if the text repeats.
    window.setTimeout(function () { status.textContent = text; }, 50);
  }
  function message(regionId, kind, text) {
    const region = $(regionId);
    region.replaceChildren();
    if (text) region.append(el("p", { className: "notice notice-" + kind, text: text }));
  }
  function focusHeading(section) {
    const heading = section.querySelector("h2, h1");
    if (!heading) return;
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
    section.scrollIntoView({ behavior: "smooth", block: "start" });
  }
  function sleep(ms) { return new Promise(function (resolve) { window.setTimeout(resolve, ms); }); }

  function uuid4() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, function (byte) { return byte.toString(16).padStart(2, "0"); });
    return [hex.slice(0, 4), hex.slice(4, 6), hex.slice(6, 8), hex.slice(8, 10), hex.slice(10)]
      .map(function (group) { return group.join(""); }).join("-");
  }

  /* ---------- the API ---------- */

  class NetworkError extends Error {}

  function retryAfterSeconds(response, fallback) {
    const seconds = Number(response.headers.get("Retry-After"));
    return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds, 120) : fallback;
  }

  /*
   * One request, retried where retrying is safe: a network failure (with the
   * same Idempotency-Key for a booking, so it cannot book twice), 503 and
   * 409 request_in_progress after Retry-After, 429 after Retry-After.
   * `onWait(text)` tells the guest why they are waiting.
   */
  async function api(method, path, options) {
    const opts = options || {};
    const url = /^https?:/.test(path) ? path : API + path;
    const headers = { Accept: "application/json", "Accept-Language": serverLanguage };
    if (opts.body !== undefined) headers["Content-Type"] = "application/json";
    if (opts.idempotencyKey) headers["Idempotency-Key"] = opts.idempotencyKey;
    let waited = false;
    const onWait = function (text) {
      waited = true;
      if (opts.onWait) opts.onWait(text);
    };
    let failures = 0;
    for (;;) {
      let response;
      try {
        response = await fetch(url, {
          method: method,
          headers: headers,
          body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
          // A guest page: never act with a staff session open in this browser.
          credentials: "omit",
          cache: "no-store",
        });
      } catch (error) {
        failures += 1;
        if (failures > MAX_RETRIES) throw new NetworkError(String(error));
        onWait(t("retrying"));
        await sleep(500 * 2 ** (failures - 1));
        continue;
      }
      const date = Date.parse(response.headers.get("Date") || "");
      if (!Number.isNaN(date)) clockSkew = date - Date.now();
      let data = null;
      try { data = await response.json(); } catch (error) { data = null; }
      const code = data && data.code;
      const waitable = response.status === 503 || response.status === 429
        || (response.status === 409 && code === "request_in_progress");
      if (waitable && failures < MAX_RETRIES) {
        failures += 1;
        const seconds = retryAfterSeconds(response, 2);
        onWait(t(response.status === 429 ? "waiting" : "busy", { s: seconds }));
        await sleep(seconds * 1000);
        continue;
      }
      // Clear our own "trying again" note, never someone else's message.
      if (waited) onWait("");
      return { status: response.status, data: data, code: code };
    }
  }

  async function apiList(path, onWait) {
    const results = [];
    let next = path;
    while (next) {
      const response = await api("GET", next, { onWait: onWait });
      if (response.status !== 200) throw response;
      results.push(...response.data.results);
      next = response.data.next;
    }
    return results;
  }

  function errorText(response) {
    if (response instanceof NetworkError) return t("offline");
    const code = response && response.code;
    const key = "error_" + code;
    const table = TABLES[lang] || {};
    if (code && (key in table || key in (TABLES.en || {}))) return t(key);
    return (response && response.data && response.data.detail) || t("error_generic");
  }

  /* ---------- booking flow ---------- */

  const state = {
    services: [],
    staff: [],
    service: null,
    staffId: "",
    month: null, // {year, month}
    days: new Map(), // iso day -> count, for the shown month
    closed: new Map(), // iso day -> {allDay, notes}: closures of the shown month
    day: null,
    slots: [],
    slot: null,
    pending: null, // {key, body}: a submission whose outcome is unknown
    countdownTimer: null,
  };

  function setProgress(step) {
    for (const item of document.querySelectorAll(".progress li")) {
      if (item.dataset.step === step) item.setAttribute("aria-current", "step");
      else item.removeAttribute("aria-current");
    }
  }

  async function loadServices() {
    const list = $("service-list");
    try {
      state.services = await apiList("services/?page_size=100", function (text) {
        message("service-messages", "info", text);
      });
    } catch (error) {
      list.replaceChildren();
      message("service-messages", "error", errorText(error));
      return;
    }
    list.replaceChildren();
    if (!state.services.length) {
      list.append(el("p", { className: "muted", text: t("no_services") }));
      return;
    }
    for (const service of state.services) {
      const id = "service-" + service.id;
      const descriptionId = id + "-description";
      list.append(el("div", { className: "service-option" }, [
        el("input", {
          type: "radio", name: "service", id: id, value: String(service.id),
          "aria-describedby": service.description ? descriptionId : null,
        }),
        el("label", { for: id }, [
          el("span", { className: "service-name", text: service.name }),
          el("span", {
            className: "service-meta",
            text: t("minutes", { n: service.duration_minutes }) + " · " + formatMoney(service.price),
          }),
          service.description
            ? el("span", { className: "service-description", id: descriptionId, text: service.description })
            : null,
        ]),
      ]));
    }
    list.addEventListener("change", function (event) {
      if (event.target.name === "service") chooseService(Number(event.target.value));
    });
  }

  async function loadStaff() {
    try {
      state.staff = await apiList("staff/?page_size=100");
    } catch (error) {
      state.staff = [];
    }
  }

  function renderStaffSelect() {
    const select = $("staff-select");
    const offering = state.staff.filter(function (member) {
      return member.services.includes(state.service.id);
    });
    select.replaceChildren(el("option", { value: "", text: t("anyone") }));
    for (const member of offering) {
      select.append(el("option", { value: String(member.id), text: member.name }));
    }
    state.staffId = "";
    select.value = "";
    select.closest(".staff-filter").hidden = offering.length < 2;
  }

  function chooseService(serviceId) {
    state.service = state.services.find(function (service) { return service.id === serviceId; });
    state.day = null;
    state.slot = null;
    renderStaffSelect();
    const today = todayInZone();
    state.month = { year: Number(today.slice(0, 4)), month: Number(today.slice(5, 7)) };
    show($("step-time"), true);
    show($("step-details"), false);
    $("slots").replaceChildren();
    setProgress("time");
    loadMonth();
  }

  async function loadMonth() {
    const { year, month } = state.month;
    const first = isoDay(year, month, 1);
    const last = isoDay(year, month, daysInMonth(year, month));
    const params = new URLSearchParams({ service: state.service.id, from: first, to: last });
    if (state.staffId) params.set("staff", state.staffId);
    renderMonth(true);
    const closedDays = loadClosedDays(first, last, state.staffId);
    const response = await api("GET", "bookings/availability/days/?" + params, {
      onWait: function (text) { message("time-messages", "info", text); },
    }).catch(function (error) { return error; });
    if (response instanceof Error || response.status !== 200) {
      message("time-messages", "error", errorText(response));
      return;
    }
    const closed = await closedDays;
    // A newer month may have been asked for while this one loaded.
    if (state.month.year !== year || state.month.month !== month) return;
    state.days = new Map(response.data.days.map(function (day) { return [day.date, day.count]; }));
    state.closed = closed;
    renderMonth(false);
  }

  /*
   * The days a closure touches (the business's; with a staff member chosen,
   * their absences too), as iso day -> {allDay, notes}. The calendar still
   * works without them, so a failure only leaves them out.
   */
  async function loadClosedDays(first, last, staffId) {
    const params = new URLSearchParams({ from: first, to: last });
    if (staffId) params.set("staff", staffId);
    const response = await api("GET", "closures/days/?" + params).catch(function (error) { return error; });
    const closed = new Map();
    if (response instanceof Error || response.status !== 200) return closed;
    for (const day of response.data.days) {
      const entry = closed.get(day.date) || { allDay: false, notes: [] };
      entry.allDay = entry.allDay || day.all_day;
      if (day.public_note && !entry.notes.includes(day.public_note)) entry.notes.push(day.public_note);
      closed.set(day.date, entry);
    }
    return closed;
  }

  function closedText(entry) {
    const words = entry.allDay ? t("day_closed") : t("day_partly_closed");
    return entry.notes.length ? words + ": " + entry.notes.join("; ") : words;
  }

  function renderMonth(loading) { drawMonth("", state, loading); }

  /*
   * A month calendar into the elements `<prefix>month-title`, `<prefix>month-body`
   * and so on: "" for booking, "re-" for rescheduling. `view` holds month,
   * days (iso day -> count), closed days (iso day -> {allDay, notes}) and the
   * chosen day.
   */
  function drawMonth(prefix, view, loading) {
    const { year, month } = view.month;
    const today = todayInZone();
    const title = monthFormat.format(new Date(Date.UTC(year, month - 1, 1)));
    $(prefix + "month-title").textContent = title.charAt(0).toUpperCase() + title.slice(1);
    $(prefix + "prev-month").disabled = year * 12 + month <= Number(today.slice(0, 4)) * 12 + Number(today.slice(5, 7));
    const weekdays = $(prefix + "weekday-row");
    if (!weekdays.children.length) {
      // 2024-01-01 was a Monday: the week starts on Monday.
      for (let index = 0; index < 7; index += 1) {
        const date = new Date(Date.UTC(2024, 0, 1 + index));
        // Three letters at most ("segunda-feira" -> "seg"), the full name for
        // assistive technology.
        const short = weekdayFormat.format(date).replace(/\.$/, "").slice(0, 3);
        weekdays.append(el("th", { scope: "col" }, [
          el("abbr", { title: weekdayLongFormat.format(date), text: short }),
        ]));
      }
    }
    const body = $(prefix + "month-body");
    body.replaceChildren();
    const leading = (new Date(Date.UTC(year, month - 1, 1)).getUTCDay() + 6) % 7;
    const total = daysInMonth(year, month);
    let row = el("tr");
    for (let index = 0; index < leading; index += 1) row.append(el("td"));
    for (let day = 1; day <= total; day += 1) {
      const iso = isoDay(year, month, day);
      const count = loading ? 0 : view.days.get(iso) || 0;
      const free = count > 0 && iso >= today;
      const closure = loading ? null : (view.closed || new Map()).get(iso);
      const closedAllDay = Boolean(closure && closure.allDay && !free && iso >= today);
      const label = dayFormat.format(utcDate(iso)) + ", "
        + (closedAllDay ? closedText(closure)
          : free ? (count === 1 ? t("day_free_one") : t("day_free", { n: count })) : t("day_none"));
      const classes = ["day"];
      if (free) classes.push("day-free");
      if (closedAllDay) classes.push("day-closed");
      if (iso === today) classes.push("day-today");
      if (iso === view.day) classes.push("day-selected");
      row.append(el("td", {}, [
        el("button", {
          type: "button", className: classes.join(" "), "data-date": iso,
          disabled: !free, "aria-label": label, title: closedAllDay ? closedText(closure) : null,
          "aria-pressed": free ? String(iso === view.day) : null,
          "aria-current": iso === today ? "date" : null,
        }, [el("span", { text: String(day) })]),
      ]));
      if (row.children.length === 7) {
        body.append(row);
        row = el("tr");
      }
    }
    if (row.children.length) {
      while (row.children.length < 7) row.append(el("td"));
      body.append(row);
    }
    $(prefix + "calendar").setAttribute("aria-busy", String(loading));
    show($(prefix + "month-empty"), !loading && !Array.from(view.days.keys()).some(function (day) {
      return day >= today;
    }));
    drawClosedNotes(prefix, loading ? new Map() : view.closed || new Map(), today);
  }

  /* The month's closed days in words, under the calendar. */
  function drawClosedNotes(prefix, closed, today) {
    const list = $(prefix + "closed-notes");
    const days = Array.from(closed.keys()).filter(function (iso) { return iso >= today; }).sort();
    list.replaceChildren(...days.map(function (iso) {
      return el("li", { "data-date": iso, text: dayFormat.format(utcDate(iso)) + ": " + closedText(closed.get(iso)) });
    }));
    show(list, days.length > 0);
  }

  function changeMonth(delta) {
    let { year, month } = state.month;
    month += delta;
    if (month < 1) { month = 12; year -= 1; }
    if (month > 12) { month = 1; year += 1; }
    state.month = { year: year, month: month };
    state.days = new Map();
    state.closed = new Map();
    message("time-messages", "info", "");
    loadMonth();
  }

  async function chooseDay(iso) {
    state.day = iso;
    state.slot = null;
    show($("step-details"), false);
    renderMonth(false);
    await loadSlots();
  }

  async function loadSlots() {
    const container = $("slots");
    const params = new URLSearchParams({
      service: state.service.id, date: state.day, page_size: "100",
    });
    if (state.staffId) params.set("staff", state.staffId);
    container.setAttribute("aria-busy", "true");
    let slots;
    try {
      slots = await apiList("bookings/availability/?" + params, function (text) {
        message("time-messages", "info", text);
      });
    } catch (error) {
      container.setAttribute("aria-busy", "false");
      message("time-messages", "error", errorText(error));
      return;
    }
    state.slots = slots;
    container.setAttribute("aria-busy", "false");
    renderSlots();
  }

  function renderSlots() { drawSlots("", state, 3); }

  /* The free times of the chosen day, by staff member, as in drawMonth. */
  function drawSlots(prefix, view, level) {
    const container = $(prefix + "slots");
    container.replaceChildren();
    if (!view.day) return;
    container.append(el("h" + level, {
      id: prefix + "slots-title", text: t("slots_for", { day: dayFormat.format(utcDate(view.day)) }),
    }));
    if (!view.slots.length) {
      container.append(el("p", { className: "muted", text: t("no_slots") }));
      return;
    }
    const groups = new Map();
    for (const slot of view.slots) {
      if (!groups.has(slot.staff)) groups.set(slot.staff, { name: slot.staff_name, slots: [] });
      groups.get(slot.staff).slots.push(slot);
    }
    for (const [staffId, group] of groups) {
      const headingId = prefix + "staff-" + staffId + "-slots";
      container.append(el("div", { className: "staff-group" }, [
        el("h" + (level + 1), { id: headingId, text: group.name }),
        el("ul", { className: "slot-list", "aria-labelledby": headingId }, group.slots.map(function (slot) {
          const time = timeFormat.format(new Date(slot.start_time));
          return el("li", {}, [el("button", {
            type: "button", className: "slot", "data-slot": String(slot.id),
            "aria-label": t("slot_label", { time: time, staff: group.name }),
            "aria-pressed": String(Boolean(view.slot) && view.slot.id === slot.id),
          }, [time])]);
        })),
      ]));
    }
  }

  function chooseSlot(slotId) {
    state.slot = state.slots.find(function (slot) { return slot.id === slotId; });
    renderSlots();
    const summary = $("choice-summary");
    summary.replaceChildren(
      el("p", { className: "summary-service", text: state.service.name + " · " + formatMoney(state.service.price) }),
      el("p", { text: formatWhen(state.slot.start_time) + " · " + state.slot.staff_name }),
    );
    message("details-messages", "info", "");
    show($("step-details"), true);
    setProgress("details");
    focusHeading($("step-details"));
  }

  /* ---------- the form ---------- */

  const FORM_FIELDS = ["customer_name", "customer_email", "customer_phone", "notes"];
  const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

  function setFieldError(field, text) {
    const input = $(field);
    const error = $(field + "-error");
    error.textContent = text || "";
    show(error, Boolean(text));
    if (text) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }

  function clearFieldErrors(fields) {
    for (const field of fields) setFieldError(field, "");
  }

  function checkForm() {
    const errors = {};
    for (const field of ["customer_name", "customer_email", "customer_phone"]) {
      if (!$(field).value.trim()) errors[field] = t("required");
    }
    const email = $("customer_email").value.trim();
    if (email && !EMAIL_PATTERN.test(email)) errors.customer_email = t("invalid_email");
    return errors;
  }

  function showFieldErrors(errors, fields) {
    let first = null;
    for (const field of fields) {
      if (errors[field]) {
        setFieldError(field, [].concat(errors[field]).join(" "));
        first = first || field;
      }
    }
    if (first) $(first).focus();
    return first !== null;
  }

  async function submitBooking(event) {
    event.preventDefault();
    if (!state.slot) return;
    clearFieldErrors(FORM_FIELDS);
    message("details-messages", "info", "");
    const problems = checkForm();
    if (showFieldErrors(problems, FORM_FIELDS)) {
      message("details-messages", "error", t("fix_fields"));
      $(Object.keys(problems)[0]).focus();
      return;
    }
    const body = {
      service: state.service.id,
      availability: state.slot.id,
      customer_name: $("customer_name").value.trim(),
      customer_email: $("customer_email").value.trim(),
      customer_phone: $("customer_phone").value.trim(),
      notes: $("notes").value.trim(),
      // The booking's language (its emails): one the server speaks.
      locale: lang === "pt" ? "pt-pt" : "en",
    };
    // One key per submission; pressing Book again after a lost answer sends
    // the same key, so the server replays the booking it may have made.
    const serialized = JSON.stringify(body);
    if (!state.pending || state.pending.body !== serialized) {
      state.pending = { key: uuid4(), body: serialized };
    }
    const button = $("book-button");
    button.disabled = true;
    button.textContent = t("booking");
    let response;
    try {
      response = await api("POST", "bookings/", {
        body: body,
        idempotencyKey: state.pending.key,
        onWait: function (text) { message("details-messages", "info", text); },
      });
    } catch (error) {
      response = error;
    } finally {
      button.disabled = false;
      button.textContent = t("book");
    }
    if (response instanceof NetworkError) {
      message("details-messages", "error", t("offline"));
      return;
    }
    state.pending = null;
    handleBookingResponse(response);
  }

  function handleBookingResponse(response) {
    if (response.status === 201) {
      showConfirmation(response.data, $("customer_email").value.trim());
      return;
    }
    const errors = (response.data && response.data.errors) || {};
    if (response.status === 409 && response.code === "slot_unavailable") {
      slotTaken(errorText(response));
      return;
    }
    if (response.status === 400 && (errors.availability || errors.service || errors.staff)) {
      // The slot (or the service) is no longer bookable: choose again. An id
      // that names nothing any more (`invalid`: deleted meanwhile) reads as
      // a slot taken, not as the API's field message.
      slotTaken(response.code === "invalid" ? t("error_slot_unavailable") : errorText(response));
      return;
    }
    if (response.status === 400 && showFieldErrors(errors, FORM_FIELDS)) {
      message("details-messages", "error", t("fix_fields"));
      return;
    }
    message("details-messages", "error", errorText(response));
  }

  async function slotTaken(text) {
    state.slot = null;
    state.slots = [];
    // Never leave the stale times on screen while fresh ones load.
    $("slots").replaceChildren();
    show($("step-details"), false);
    setProgress("time");
    message("time-messages", "error", text);
    await Promise.all([loadMonth(), loadSlots()]);
    $("time-messages").scrollIntoView({ behavior: "smooth", block: "start" });
    const heading = $("slots-title");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus({ preventScroll: true });
    }
  }

  /* ---------- confirmation and countdown ---------- */

  function fact(label, value) {
    return el("div", { className: "fact" }, [el("dt", { text: label }), el("dd", {}, [].concat(value))]);
  }

  function referenceWithCopy(reference) {
    const button = el("button", { type: "button", className: "button small copy-button", text: t("copy") });
    button.addEventListener("click", function () { copyReference(reference, button); });
    return [el("span", { className: "reference", id: "booking-reference", text: reference }), " ", button];
  }

  async function copyReference(reference, button) {
    let copied = false;
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(reference);
        copied = true;
      }
    } catch (error) {
      copied = false;
    }
    if (!copied) {
      const range = document.createRange();
      range.selectNodeContents($("booking-reference"));
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      try { copied = document.execCommand("copy"); } catch (error) { copied = false; }
    }
    announce(copied ? t("copied") : t("copy_failed"));
    button.textContent = copied ? "✓ " + t("copy") : t("copy");
  }

  function paymentBlock(booking, email) {
    const instructions = booking.payment_instructions;
    const nodes = [
      el("dl", { className: "facts" }, [
        fact(t("reference"), referenceWithCopy(booking.reference)),
        fact(t("service"), booking.service_name),
        fact(t("when"), formatWhen(booking.start_time)),
        fact(t("with_staff"), booking.staff_name),
        fact(t("amount"), formatMoney(booking.amount_due)),
        instructions ? fact(t("pay_by"), formatWhen(instructions.pay_by)) : null,
      ]),
    ];
    if (instructions) {
      nodes.push(el("div", { className: "countdown-box" }, [
        el("p", { className: "countdown-label", id: "countdown-label", text: t("time_left") }),
        el("p", { className: "countdown", id: "countdown", "aria-hidden": "true" }),
        el("p", { className: "visually-hidden", id: "countdown-live", "aria-live": "polite" }),
      ]));
      nodes.push(el("h3", { text: t("how_to_pay") }));
      nodes.push(el("p", { className: "instructions", text: instructions.instructions }));
    }
    if (email) nodes.push(el("p", { className: "muted", text: t("email_sent", { email: email }) }));
    return nodes;
  }

  function startCountdown(expiresAt) {
    stopCountdown();
    const deadline = Date.parse(expiresAt);
    let lastAnnounced = null;
    function tick() {
      const display = $("countdown");
      const live = $("countdown-live");
      if (!display) { stopCountdown(); return; }
      const remaining = Math.max(0, Math.floor((deadline - serverNow()) / 1000));
      if (remaining === 0) {
        display.textContent = "00:00";
        live.textContent = t("expired");
        display.classList.add("countdown-over");
        stopCountdown();
        return;
      }
      const hours = Math.floor(remaining / 3600);
      const minutes = Math.floor((remaining % 3600) / 60);
      const seconds = remaining % 60;
      display.textContent = (hours ? hours + ":" + pad(minutes) : pad(minutes)) + ":" + pad(seconds);
      // Polite: announce whole minutes (and the first reading), not every second.
      const minuteMark = Math.ceil(remaining / 60);
      if (lastAnnounced === null || (minuteMark !== lastAnnounced && (minuteMark % 5 === 0 || minuteMark <= 2))) {
        lastAnnounced = minuteMark;
        const spoken = hours
          ? t("countdown_hours", { h: hours, m: minutes })
          : t("countdown_minutes", { m: minutes, s: seconds });
        live.textContent = t("time_left_live", { time: spoken });
      }
    }
    tick();
    state.countdownTimer = window.setInterval(tick, 1000);
  }

  function stopCountdown() {
    if (state.countdownTimer !== null) window.clearInterval(state.countdownTimer);
    state.countdownTimer = null;
  }

  function showConfirmation(booking, email) {
    for (const id of ["step-service", "step-time", "step-details"]) show($(id), false);
    const done = $("step-done");
    $("confirmation").replaceChildren(...paymentBlock(booking, email));
    const manageLink = el("a", {
      href: "/booking/?reference=" + encodeURIComponent(booking.reference), text: t("nav_manage"),
    });
    $("confirmation").append(el("p", {}, [manageLink]));
    show(done, true);
    setProgress("done");
    if (booking.payment_instructions) startCountdown(booking.payment_expires_at);
    focusHeading(done);
  }

  function bookAnother() {
    stopCountdown();
    state.slot = null;
    state.day = null;
    $("notes").value = "";
    show($("step-done"), false);
    show($("step-service"), true);
    show($("step-time"), Boolean(state.service));
    $("slots").replaceChildren();
    setProgress(state.service ? "time" : "service");
    if (state.service) loadMonth();
    focusHeading($("step-service"));
  }

  /* ---------- manage my booking ---------- */

  let proof = null;

  function lookupBody() {
    const reference = $("lookup-reference").value.trim();
    const contact = $("lookup-contact").value.trim();
    return contact.includes("@")
      ? { reference: reference, email: contact }
      : { reference: reference, phone: contact };
  }

  async function submitLookup(event) {
    event.preventDefault();
    clearFieldErrors(["lookup-reference", "lookup-contact"]);
    message("lookup-messages", "info", "");
    const missing = {};
    if (!$("lookup-reference").value.trim()) missing["lookup-reference"] = t("required");
    if (!$("lookup-contact").value.trim()) missing["lookup-contact"] = t("required");
    if (showFieldErrors(missing, ["lookup-reference", "lookup-contact"])) return;
    proof = lookupBody();
    const response = await api("POST", "bookings/lookup/", {
      body: proof,
      onWait: function (text) { message("lookup-messages", "info", text); },
    }).catch(function (error) { return error; });
    if (response instanceof NetworkError || response.status !== 200) {
      show($("manage-result"), false);
      const errors = (response && response.data && response.data.errors) || {};
      const mapped = {
        "lookup-reference": errors.reference,
        "lookup-contact": errors.email || errors.phone,
      };
      if (!showFieldErrors(mapped, ["lookup-reference", "lookup-contact"])) {
        message("lookup-messages", "error", errorText(response));
      }
      return;
    }
    renderManaged(response.data);
    focusHeading($("manage-result"));
  }

  // A link we emailed (#reference=…&access=…) opens the booking with its
  // single-use token; each answer carries the next token.
  async function openEmailedLink() {
    const params = new URLSearchParams(window.location.hash.slice(1));
    const reference = params.get("reference");
    const token = params.get("access");
    if (!reference || !token) return false;
    history.replaceState(null, "", window.location.pathname + window.location.search);
    $("lookup-reference").value = reference;
    proof = { reference: reference, access_token: token };
    const response = await api("POST", "bookings/lookup/", { body: proof })
      .catch(function (error) { return error; });
    if (response instanceof NetworkError || response.status !== 200) {
      message("lookup-messages", "error", errorText(response));
      return true;
    }
    renderManaged(response.data);
    focusHeading($("manage-result"));
    return true;
  }

  function renderManaged(booking) {
    if (booking.access_token && proof) {
      proof = { reference: proof.reference, access_token: booking.access_token };
    }
    stopCountdown();
    closeReschedule();
    message("manage-messages", "info", "");
    const details = $("manage-details");
    const statusFact = fact(t("status"), el("span", {
      className: "status status-" + booking.status, text: t("status_" + booking.status),
    }));
    const nodes = paymentBlock(booking, null);
    nodes[0].prepend(statusFact);
    if (booking.cancel_reason) nodes[0].append(fact(t("cancel_reason"), booking.cancel_reason));
    details.replaceChildren(...nodes);
    show($("manage-result"), true);
    if (booking.payment_instructions) startCountdown(booking.payment_expires_at);
    renderManageActions(booking);
  }

  function renderManageActions(booking) {
    const actions = $("manage-actions");
    actions.replaceChildren();
    // The server enforces the notice period; the page offers what may be allowed.
    const changeable = (booking.status === "awaiting_payment" || booking.status === "confirmed")
      && Date.parse(booking.start_time) > serverNow();
    if (!changeable) return;
    const move = el("button", {
      type: "button", className: "button", id: "reschedule-button", text: t("reschedule_booking"),
      "aria-expanded": "false", "aria-controls": "reschedule",
    });
    move.addEventListener("click", function () { openReschedule(booking); });
    const cancel = el("button", { type: "button", className: "button danger", text: t("cancel_booking") });
    cancel.addEventListener("click", function () { confirmCancel(booking); });
    actions.append(el("div", { className: "button-row" }, [move, cancel]));
  }

  function confirmCancel(booking) {
    closeReschedule();
    const actions = $("manage-actions");
    const question = el("p", { id: "cancel-question", className: "cancel-question", text: t("cancel_confirm", { when: formatWhen(booking.start_time) }) });
    const yes = el("button", { type: "button", className: "button danger", text: t("cancel_yes"), "aria-describedby": "cancel-question" });
    const no = el("button", { type: "button", className: "button", text: t("cancel_no") });
    yes.addEventListener("click", function () { cancelBooking(yes); });
    no.addEventListener("click", function () { renderManageActions(booking); });
    actions.replaceChildren(el("div", { className: "confirm-box" }, [question, el("div", { className: "button-row" }, [yes, no])]));
    yes.focus();
  }

  async function cancelBooking(button) {
    button.disabled = true;
    const response = await api("POST", "bookings/lookup/cancel/", {
      body: proof,
      onWait: function (text) { message("manage-messages", "info", text); },
    }).catch(function (error) { return error; });
    if (response instanceof NetworkError || response.status !== 200) {
      button.disabled = false;
      message("manage-messages", "error", errorText(response));
      return;
    }
    renderManaged(response.data);
    message("manage-messages", "success", t("cancelled_done"));
    focusHeading($("manage-result"));
  }

  /* ---------- reschedule from "manage my booking" ---------- */

  const re = {
    booking: null,
    month: null, // {year, month}
    days: new Map(),
    closed: new Map(),
    day: null,
    slots: [],
    slot: null,
  };

  function reMessage(kind, text) { message("reschedule-messages", kind, text); }

  function openReschedule(booking) {
    re.booking = booking;
    re.day = null;
    re.slot = null;
    re.slots = [];
    re.days = new Map();
    re.closed = new Map();
    const today = todayInZone();
    re.month = { year: Number(today.slice(0, 4)), month: Number(today.slice(5, 7)) };
    $("re-slots").replaceChildren();
    show($("re-confirm"), false);
    reMessage("info", "");
    message("manage-messages", "info", "");
    const button = $("reschedule-button");
    if (button) button.setAttribute("aria-expanded", "true");
    show($("reschedule"), true);
    const heading = $("reschedule-title");
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
    $("reschedule").scrollIntoView({ behavior: "smooth", block: "start" });
    loadReMonth();
  }

  function closeReschedule() {
    re.booking = null;
    show($("reschedule"), false);
    const button = $("reschedule-button");
    if (button) button.setAttribute("aria-expanded", "false");
  }

  async function loadReMonth() {
    if (!re.booking) return;
    const { year, month } = re.month;
    const params = new URLSearchParams({
      service: re.booking.service,
      from: isoDay(year, month, 1),
      to: isoDay(year, month, daysInMonth(year, month)),
    });
    drawMonth("re-", re, true);
    const closedDays = loadClosedDays(params.get("from"), params.get("to"), "");
    const response = await api("GET", "bookings/availability/days/?" + params, {
      onWait: function (text) { reMessage("info", text); },
    }).catch(function (error) { return error; });
    if (response instanceof Error || response.status !== 200) {
      reMessage("error", errorText(response));
      return;
    }
    const closed = await closedDays;
    if (!re.booking || re.month.year !== year || re.month.month !== month) return;
    re.days = new Map(response.data.days.map(function (day) { return [day.date, day.count]; }));
    re.closed = closed;
    drawMonth("re-", re, false);
  }

  function changeReMonth(delta) {
    let { year, month } = re.month;
    month += delta;
    if (month < 1) { month = 12; year -= 1; }
    if (month > 12) { month = 1; year += 1; }
    re.month = { year: year, month: month };
    re.days = new Map();
    re.closed = new Map();
    reMessage("info", "");
    loadReMonth();
  }

  async function chooseReDay(iso) {
    re.day = iso;
    re.slot = null;
    show($("re-confirm"), false);
    drawMonth("re-", re, false);
    await loadReSlots();
  }

  async function loadReSlots() {
    if (!re.booking || !re.day) return;
    const container = $("re-slots");
    const params = new URLSearchParams({
      service: re.booking.service, date: re.day, page_size: "100",
    });
    container.setAttribute("aria-busy", "true");
    let slots;
    try {
      slots = await apiList("bookings/availability/?" + params, function (text) {
        reMessage("info", text);
      });
    } catch (error) {
      container.setAttribute("aria-busy", "false");
      reMessage("error", errorText(error));
      return;
    }
    re.slots = slots;
    container.setAttribute("aria-busy", "false");
    drawSlots("re-", re, 4);
  }

  function chooseReSlot(slotId) {
    re.slot = re.slots.find(function (slot) { return slot.id === slotId; });
    if (!re.slot) return;
    drawSlots("re-", re, 4);
    $("re-choice").textContent = t("reschedule_to", {
      when: formatWhen(re.slot.start_time), staff: re.slot.staff_name,
    });
    reMessage("info", "");
    show($("re-confirm"), true);
    $("re-confirm-button").focus();
  }

  async function submitReschedule() {
    if (!re.booking || !re.slot) return;
    const button = $("re-confirm-button");
    button.disabled = true;
    button.textContent = t("rescheduling");
    let response;
    try {
      response = await api("POST", "bookings/lookup/reschedule/", {
        body: Object.assign({}, proof, { availability: re.slot.id }),
        onWait: function (text) { reMessage("info", text); },
      });
    } catch (error) {
      response = error;
    } finally {
      button.disabled = false;
      button.textContent = t("reschedule_yes");
    }
    if (response instanceof NetworkError) {
      reMessage("error", t("offline"));
      return;
    }
    if (response.status === 200) {
      renderManaged(response.data);
      message("manage-messages", "success", t("rescheduled_done", {
        when: formatWhen(response.data.start_time),
      }));
      focusHeading($("manage-result"));
      return;
    }
    const errors = (response.data && response.data.errors) || {};
    if ((response.status === 409 && response.code === "slot_unavailable")
      || (response.status === 400 && errors.availability)) {
      // Taken meanwhile (or no longer fits): show the times still free.
      re.slot = null;
      re.slots = [];
      $("re-slots").replaceChildren();
      show($("re-confirm"), false);
      reMessage("error", response.status === 409 ? errorText(response) : t("error_slot_unavailable"));
      await Promise.all([loadReMonth(), loadReSlots()]);
      const heading = $("re-slots-title") || $("reschedule-title");
      heading.setAttribute("tabindex", "-1");
      heading.focus({ preventScroll: true });
      return;
    }
    if (response.status === 409) {
      // Too late (notice passed, started) or no longer changeable: say so
      // where the booking is shown, and close the picker.
      closeReschedule();
      message("manage-messages", "error", errorText(response));
      focusHeading($("manage-result"));
      return;
    }
    reMessage("error", errorText(response));
  }

  /* ---------- start ---------- */

  function wire() {
    $("prev-month").addEventListener("click", function () { changeMonth(-1); });
    $("next-month").addEventListener("click", function () { changeMonth(1); });
    $("month-body").addEventListener("click", function (event) {
      const button = event.target.closest("button[data-date]");
      if (button && !button.disabled) chooseDay(button.dataset.date);
    });
    $("slots").addEventListener("click", function (event) {
      const button = event.target.closest("button[data-slot]");
      if (button) chooseSlot(Number(button.dataset.slot));
    });
    $("staff-select").addEventListener("change", function (event) {
      state.staffId = event.target.value;
      state.slot = null;
      show($("step-details"), false);
      loadMonth();
      if (state.day) loadSlots();
    });
    $("change-time").addEventListener("click", function () {
      show($("step-details"), false);
      setProgress("time");
      focusHeading($("step-time"));
    });
    $("booking-form").addEventListener("submit", submitBooking);
    $("book-another").addEventListener("click", bookAnother);
    $("lookup-form").addEventListener("submit", submitLookup);
    $("re-prev-month").addEventListener("click", function () { changeReMonth(-1); });
    $("re-next-month").addEventListener("click", function () { changeReMonth(1); });
    $("re-month-body").addEventListener("click", function (event) {
      const button = event.target.closest("button[data-date]");
      if (button && !button.disabled) chooseReDay(button.dataset.date);
    });
    $("re-slots").addEventListener("click", function (event) {
      const button = event.target.closest("button[data-slot]");
      if (button) chooseReSlot(Number(button.dataset.slot));
    });
    $("re-confirm-button").addEventListener("click", submitReschedule);
    $("re-keep").addEventListener("click", function () {
      closeReschedule();
      const button = $("reschedule-button");
      if (button) button.focus();
    });
  }

  function start() {
    translateStatic();
    for (const element of document.querySelectorAll(".tz-name")) element.textContent = zoneLabel();
    $("tz-note").textContent = t("tz_note", { zone: zoneLabel() });
    wire();
    const view = config.initialView === "manage" ? "manage" : "book";
    show($(view + "-view"), true);
    for (const link of document.querySelectorAll("[data-nav]")) {
      if (link.dataset.nav === view) link.setAttribute("aria-current", "page");
    }
    if (view === "book") {
      setProgress("service");
      loadServices();
      loadStaff();
    } else {
      const reference = new URLSearchParams(window.location.search).get("reference");
      if (reference) $("lookup-reference").value = reference;
      openEmailedLink();
    }
  }

  start();
})();
