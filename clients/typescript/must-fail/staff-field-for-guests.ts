// tsc must reject this: a guest's lookup answer has no contact details.
import createClient from "openapi-fetch";
import type { paths } from "../src/doceamor.js";

const guest = createClient<paths>({ baseUrl: "http://127.0.0.1:8000" });
const { data } = await guest.POST("/api/bookings/lookup/", {
  body: { reference: "BYQZKW6M", email: "joana@example.com" },
});
console.log(data?.customer_email); // tsc rejects: TS2339
