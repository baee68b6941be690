// HTTP API (payload format 2.0) handler: GET /hello and GET /items/{id}.
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from "aws-lambda";

function json(statusCode: number, body: unknown): APIGatewayProxyResultV2 {
  return { statusCode, headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyResultV2> => {
  const route = event.routeKey ?? `${event.requestContext?.http?.method ?? "GET"} ${event.rawPath ?? "/"}`;
  if (route === "GET /items/{id}") {
    const id = event.pathParameters?.id;
    return id ? json(200, { id }) : json(400, { message: "id is required" });
  }
  const name = event.queryStringParameters?.name ?? "world";
  console.log("hello", { name });
  return json(200, { message: `hello, ${name}` });
};
