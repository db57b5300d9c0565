// tsc must reject this: once `audience` says "public" (the discriminator),
// the staff-only fields of a service are not there to read.
import createClient from "openapi-fetch";
import type { paths } from "../src/doceamor.js";

const guest = createClient<paths>({ baseUrl: "http://127.0.0.1:8000" });
const { data } = await guest.GET("/api/services/");
const service = data?.results[0];
if (service?.audience === "public") {
  console.log(service.created_at); // tsc rejects: TS2339
}
