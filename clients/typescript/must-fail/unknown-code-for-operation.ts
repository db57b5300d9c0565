// tsc must reject this: completing a booking documents its own 409 codes
// (Issue 34), and `slot_unavailable` is a create's, not one of them.
import createClient from "openapi-fetch";
import type { paths } from "../src/doceamor.js";

const staff = createClient<paths>({ baseUrl: "http://127.0.0.1:8000" });
const { error, response } = await staff.POST("/api/bookings/{id}/complete/", {
  params: { path: { id: 1 } },
});
if (response.status === 409 && error?.code === "slot_unavailable") { // tsc rejects: TS2367
  console.log("never");
}
