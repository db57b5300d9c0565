// tsc must reject this: a booking needs the guest's phone number.
import createClient from "openapi-fetch";
import type { paths } from "../src/doceamor.js";

const guest = createClient<paths>({ baseUrl: "http://127.0.0.1:8000" });
await guest.POST("/api/bookings/", {
  body: { // tsc rejects: TS2322
    service: 1,
    availability: 10,
    customer_name: "Joana Silva",
    customer_email: "joana@example.com",
  },
});
