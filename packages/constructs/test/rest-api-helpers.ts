import { TerraformVariable, type TerraformStack } from "cdktf";
import { McpFunction } from "../src/function.js";
import { McpRestApi, type McpRestApiProps } from "../src/rest-api.js";
import { IMAGE, resourcesOf, synth, type Json } from "./helpers.js";

export type RestOptions = Partial<Omit<McpRestApiProps, "fn" | "context">>;

/** A function `fn` and a REST API `api` in front of it; `build` may declare plan-time options. */
export function restApi(props: RestOptions = {}, build?: (s: TerraformStack) => RestOptions): string {
  return synth((s, context) => {
    const extra = build ? build(s) : {};
    const tenantIsolation = extra.tenantIsolation ?? props.tenantIsolation;
    const fn = new McpFunction(s, "fn", { functionName: "mcp", imageUri: IMAGE, tenantIsolation, context });
    new McpRestApi(s, "api", { name: "mcp", fn, context, ...props, ...extra });
  });
}

export function listVar(stack: TerraformStack, name: string): string[] {
  return new TerraformVariable(stack, name, { type: "list(string)", default: [] }).listValue;
}

/** "POST /mcp" -> the method and integration JSON of that route. */
export function routesOf(out: string): Record<string, { method: Json; integration: Json }> {
  const methods = Object.entries(
    (JSON.parse(out).resource.aws_api_gateway_method ?? {}) as Record<string, Json>,
  );
  const integrations = resourcesOf(out, "aws_api_gateway_integration");
  const paths = pathsOf(out);
  const routes: Record<string, { method: Json; integration: Json }> = {};
  for (const [name, m] of methods) {
    const res = /aws_api_gateway_resource\.([a-z0-9_]+)\.id/.exec(m.resource_id as string)?.[1];
    const key = `${m.http_method as string} ${res ? paths[res] : "/"}`;
    const integration = integrations.find((i) => (i.http_method as string).includes(`.${name}.`))!;
    routes[key] = { method: m, integration };
  }
  return routes;
}

function pathsOf(out: string): Record<string, string> {
  const res = (JSON.parse(out).resource.aws_api_gateway_resource ?? {}) as Record<string, Json>;
  const path = (name: string): string => {
    const parent = /aws_api_gateway_resource\.([a-z0-9_]+)\.id/.exec(res[name]!.parent_id as string)?.[1];
    return `${parent ? path(parent) : ""}/${res[name]!.path_part as string}`;
  };
  return Object.fromEntries(Object.keys(res).map((n) => [n, path(n)]));
}

export const MCP_KEYS = ["POST /mcp", "GET /mcp", "DELETE /mcp", "POST /"];
export const OPEN_KEYS = [
  "GET /health",
  "GET /.well-known/oauth-protected-resource",
  "GET /.well-known/oauth-protected-resource/mcp",
];
export const POOL = "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_abc";
export const AUTHORIZER_FN = "arn:aws:lambda:eu-west-1:123456789012:function:authorizer";
