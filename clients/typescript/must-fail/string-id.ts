// tsc must reject this: a path id is an integer, not the string a URL holds.
import createClient from "openapi-fetch";
import type { paths } from "../src/doceamor.js";

const staff = createClient<paths>({ baseUrl: "http://127.0.0.1:8000" });
const bookingIdFromUrl = "12";
await staff.POST("/api/bookings/{id}/verify-payment/", {
  params: { path: { id: bookingIdFromUrl } }, // tsc rejects: TS2322
});
