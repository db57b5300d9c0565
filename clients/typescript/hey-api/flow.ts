// The guest flow with the SDK @hey-api/openapi-ts generates (zod validators on
// every request and response). Issue 34: ids are plain
// numbers end to end; the server refuses an id sent as a string, so a booking
// made here proves the SDK sent numbers. backend/config/tests/
// test_typescript_client.py generates the SDK, compiles this file with
// `tsc --strict` (tsconfig.hey-api.json) and runs it against a live server.
import { client } from "./generated/client.gen.js";
import {
  bookingsAvailability,
  bookingsCreate,
  bookingsLookup,
  bookingsVerifyPayment,
} from "./generated/sdk.gen.js";

function setting(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`set ${name}`);
  return value;
}

client.setConfig({ baseUrl: setting("DOCEAMOR_BASE_URL") });
const serviceId: number = Number(setting("DOCEAMOR_SERVICE_ID"));

const slots = await bookingsAvailability({
  query: { service: serviceId, date: setting("DOCEAMOR_DATE") },
});
if (!slots.data) throw new Error(`slots: HTTP ${slots.response.status}`);
const slot = slots.data.results[0];
if (!slot) throw new Error("slots: none free");

const created = await bookingsCreate({
  body: {
    service: serviceId,
    availability: slot.id,
    customer_name: "Joana Silva",
    customer_email: "joana@example.com",
    customer_phone: "+351912345678",
  },
  headers: { "Idempotency-Key": crypto.randomUUID() },
});
if (!created.data) {
  throw new Error(`create: HTTP ${created.response.status} ${JSON.stringify(created.error)}`);
}
const booking = created.data;

const found = await bookingsLookup({
  body: { reference: booking.reference, email: "joana@example.com" },
});
if (!found.data) throw new Error(`lookup: HTTP ${found.response.status}`);

const verified = await bookingsVerifyPayment({
  path: { id: booking.id },
  auth: setting("DOCEAMOR_STAFF_TOKEN"),
});
if (!verified.data) throw new Error(`verify: HTTP ${verified.response.status}`);

console.log(
  JSON.stringify({
    slotId: slot.id,
    bookingId: booking.id,
    idType: typeof booking.id,
    startsAt: slot.start_time,
    lookedUp: found.data.reference,
    verifiedStatus: verified.data.status,
  }),
);
