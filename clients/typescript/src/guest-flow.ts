// The guest flow and a staff verify-payment, as a website built on the
// Doceamor API would write them with openapi-fetch. The types come from
// docs/openapi.yaml (`npm run generate` writes src/doceamor.d.ts); the test
// backend/config/tests/test_typescript_client.py regenerates them, compiles
// this file with `tsc --strict` and runs it against a live test server.
//
// Run it yourself against a server:
//   DOCEAMOR_BASE_URL=http://127.0.0.1:8000 DOCEAMOR_SERVICE_ID=1 \
//   DOCEAMOR_DATE=2026-11-24 DOCEAMOR_STAFF_TOKEN=<key> node dist/guest-flow.js
import createClient from "openapi-fetch";
import type { components, paths } from "./doceamor.js";

type Schemas = components["schemas"];
type Booking = Schemas["Booking"];
type ErrorCode = Schemas["ErrorCode"];
type GuestLookupRequest = Schemas["GuestLookupRequest"];

interface FlowConfig {
  baseUrl: string;
  serviceId: number;
  date: string;
  staffToken: string;
}

export interface FlowResult {
  serviceName: string;
  slotId: number;
  cancelledReference: string;
  replayed: boolean;
  takenCode: ErrorCode;
  anonymousVerifyCode: ErrorCode;
  verifiedId: number;
  verifiedBy: string | null;
  verifiedStatus: Schemas["BookingStatusEnum"];
}

/** A failed step: its name, the HTTP status and the API's error body. */
class FlowError extends Error {
  constructor(step: string, response: Response, error?: Schemas["Error"]) {
    super(`${step}: HTTP ${response.status} ${JSON.stringify(error ?? null)}`);
  }
}

function expect(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

export async function guestFlow(config: FlowConfig): Promise<FlowResult> {
  const guest = createClient<paths>({ baseUrl: config.baseUrl });

  // 1. Services: guests see the public shape; its id is an integer.
  const services = await guest.GET("/api/services/");
  if (!services.data) throw new FlowError("services", services.response, services.error);
  const service = services.data.results.find((s) => s.id === config.serviceId);
  if (!service) throw new Error(`service ${config.serviceId} is not listed`);
  // The union's discriminator: a guest is answered the public shape.
  if (service.audience !== "public") throw new Error(`service: ${service.audience}`);

  // 2. Bookable slots of that service on that day.
  const slots = await guest.GET("/api/bookings/availability/", {
    params: { query: { service: service.id, date: config.date } },
  });
  if (!slots.data) throw new FlowError("availability", slots.response, slots.error);
  const slot = slots.data.results[0];
  if (!slot) throw new Error(`no bookable slot on ${config.date}`);

  // 3. Book, with an Idempotency-Key reused for a retry of the same press.
  const book = (idempotencyKey: string) =>
    guest.POST("/api/bookings/", {
      params: { header: { "Idempotency-Key": idempotencyKey } },
      body: {
        service: service.id,
        availability: slot.id,
        customer_name: "Joana Silva",
        customer_email: "joana@example.com",
        customer_phone: "+351 912 345 678",
        notes: "Booked through openapi-fetch",
      },
    });
  const key = crypto.randomUUID();
  const created = await book(key);
  if (!created.data) throw new FlowError("book", created.response, created.error);
  const booking: Booking = created.data;
  expect(created.response.status === 201, `book: HTTP ${created.response.status}`);
  expect(booking.status === "awaiting_payment", `book: ${booking.status}`);
  expect(booking.payment_instructions?.reference === booking.reference, "instructions");

  const retry = await book(key);
  if (!retry.data) throw new FlowError("retry", retry.response, retry.error);
  const replayed = retry.response.headers.get("Idempotent-Replayed") === "true";
  expect(replayed && retry.data.id === booking.id, "retry: not the stored answer");

  // Another press (a new key) for the same slot: it is taken now.
  const taken = await book(crypto.randomUUID());
  if (!taken.error) throw new Error("book again: the taken slot was booked twice");
  expect(taken.error.code === "slot_unavailable", `book again: ${taken.error.code}`);

  // 4. Look it up with the reference and the contact (any case).
  const proof: GuestLookupRequest = {
    reference: booking.reference.toLowerCase(),
    email: "JOANA@example.com",
  };
  const found = await guest.POST("/api/bookings/lookup/", { body: proof });
  if (!found.data) throw new FlowError("lookup", found.response, found.error);
  expect(found.data.reference === booking.reference, "lookup: another booking");

  // 5. Cancel it; the slot is free again.
  const cancelled = await guest.POST("/api/bookings/lookup/cancel/", {
    body: { ...proof, reason: "Plans changed" },
  });
  if (!cancelled.data) throw new FlowError("cancel", cancelled.response, cancelled.error);
  expect(cancelled.data.status === "cancelled", `cancel: ${cancelled.data.status}`);
  expect(cancelled.data.payment_instructions === null, "cancel: still payable");

  // Staff: verify the payment of a new booking of the freed slot. The path id
  // is the integer the API returned; the token goes as `Bearer`.
  const rebooked = await book(crypto.randomUUID());
  if (!rebooked.data) throw new FlowError("rebook", rebooked.response, rebooked.error);
  const verifyPath = { params: { path: { id: rebooked.data.id } } };

  const anonymous = await guest.POST("/api/bookings/{id}/verify-payment/", verifyPath);
  if (!anonymous.error) throw new Error("verify-payment: allowed without a token");

  const staff = createClient<paths>({
    baseUrl: config.baseUrl,
    headers: { Authorization: `Bearer ${config.staffToken}` },
  });
  const verified = await staff.POST("/api/bookings/{id}/verify-payment/", verifyPath);
  if (!verified.data) throw new FlowError("verify-payment", verified.response, verified.error);

  return {
    serviceName: service.name,
    slotId: slot.id,
    cancelledReference: cancelled.data.reference,
    replayed,
    takenCode: taken.error.code,
    anonymousVerifyCode: anonymous.error.code,
    verifiedId: verified.data.id,
    verifiedBy: verified.data.payment_verified_by,
    verifiedStatus: verified.data.status,
  };
}

function setting(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`set ${name}`);
  return value;
}

const result = await guestFlow({
  baseUrl: setting("DOCEAMOR_BASE_URL"),
  serviceId: Number(setting("DOCEAMOR_SERVICE_ID")),
  date: setting("DOCEAMOR_DATE"),
  staffToken: setting("DOCEAMOR_STAFF_TOKEN"),
});
console.log(JSON.stringify(result));
