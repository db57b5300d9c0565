// tsc must reject this: `code` is the ErrorCode enum, so a typo cannot match.
import createClient from "openapi-fetch";
import type { paths } from "../src/doceamor.js";

const guest = createClient<paths>({ baseUrl: "http://127.0.0.1:8000" });
const { error } = await guest.POST("/api/bookings/lookup/", {
  body: { reference: "BYQZKW6M", email: "joana@example.com" },
});
if (error?.code === "slot_unavaliable") { // tsc rejects: TS2367
  console.log("refresh the slots");
}
