// @hey-api/openapi-ts: a fetch SDK with zod validators on requests and
// responses (datetimes with their offsets), generated from the committed
// schema into hey-api/generated/ (`npx openapi-ts`). Issue 34: the schema must give
// such a generator plain numbers for ids (no BigInt) and compile under
// `tsc --strict`; backend/config/tests/test_typescript_client.py checks it.
export default {
  input: "../../docs/openapi.yaml",
  output: { path: "hey-api/generated", importFileExtension: ".js" },
  plugins: [
    "@hey-api/client-fetch",
    "@hey-api/typescript",
    // The API's datetimes carry the business timezone's offset ("+01:00" in
    // summer): without `offset`, zod refuses every one of them.
    { name: "zod", dates: { offset: true } },
    { name: "@hey-api/sdk", validator: true },
  ],
};
