// Unit tests: `npm test` (Node.js 22.6+ runs TypeScript with --experimental-strip-types).
import assert from "node:assert/strict";
import { test } from "node:test";

import { handler } from "../src/api.ts";

test("GET /hello greets", async () => {
  const result = (await handler({ routeKey: "GET /hello", queryStringParameters: { name: "ada" } } as never)) as {
    statusCode: number;
    body: string;
  };
  assert.equal(result.statusCode, 200);
  assert.deepEqual(JSON.parse(result.body), { message: "hello, ada" });
});

test("GET /items/{id} echoes the id", async () => {
  const result = (await handler({ routeKey: "GET /items/{id}", pathParameters: { id: "42" } } as never)) as {
    statusCode: number;
    body: string;
  };
  assert.equal(result.statusCode, 200);
  assert.deepEqual(JSON.parse(result.body), { id: "42" });
});
