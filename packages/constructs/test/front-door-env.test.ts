import { TerraformVariable, type TerraformStack } from "cdktf";
import { Apigatewayv2Api } from "@cdktf/provider-aws/lib/apigatewayv2-api/index.js";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route/index.js";
import { Apigatewayv2Stage } from "@cdktf/provider-aws/lib/apigatewayv2-stage/index.js";
import { LambdaFunctionUrl } from "@cdktf/provider-aws/lib/lambda-function-url/index.js";
import { McpFunction } from "../src/function.js";
import { McpHttpApi, type McpHttpApiProps } from "../src/front-door.js";
import {
  JWT_NEEDS_HTTP_API,
  NEEDS_A_FRONT_DOOR,
  OIDC_NEEDS_TOKEN_AUTH,
  STREAMING_NEEDS_NO_HTTP_API,
} from "../src/front-door-env.js";
import { PROTECTED_RESOURCE_METADATA_ROUTES } from "../src/rest-api-routes.js";
import { consoleEval, requiringTerraform, withLocals } from "../src/terraform-console.js";
import { boolVar, IMAGE, parse, resourcesOf, stringVar, synth, type Json } from "./helpers.js";

const ISSUER = "https://issuer.example/";
const withTerraform = (name: string, fn: () => void) => it(name, requiringTerraform(fn));

function api(
  props: Partial<McpHttpApiProps> | ((s: TerraformStack) => Partial<McpHttpApiProps>) = {},
): string {
  return synth((s) => {
    const fn = new McpFunction(s, "fn", { functionName: "mcp", imageUri: IMAGE });
    new McpHttpApi(s, "api", { name: "mcp", fn, ...(typeof props === "function" ? props(s) : props) });
  });
}

/** The function's environment, evaluated (resource attributes become "<type.name.attr>"). */
function environment(out: string, values: Record<string, unknown> = {}): Record<string, string> {
  const json = parse(out);
  // terraform refuses an empty `variable` object.
  if (Object.keys(json.variable ?? {}).length === 0)
    json.variable = { unused: { type: "string", default: "" } };
  const fn = resourcesOf(out, "aws_lambda_function")[0]!;
  const r = consoleEval(
    withLocals(json, { probe_env: fn.environment.variables }),
    ["local.probe_env"],
    values,
  );
  expect({ ok: r.ok, stderr: r.ok ? "" : r.stderr }).toEqual({ ok: true, stderr: "" });
  return r.values[0] as Record<string, string>;
}

const OAUTH_KEYS = ["MCP_OIDC_ISSUER", "MCP_JWT_VALIDATION", "MCP_OIDC_AUDIENCE", "MCP_OIDC_SCOPES"];
const oauthOf = (env: Record<string, string>) =>
  Object.fromEntries(
    Object.entries(env).filter(([k]) => OAUTH_KEYS.includes(k) || k === "MCP_LAMBDA_STREAMING"),
  );

describe("McpHttpApi: RFC 9728 routes, OAuth and streaming environment, HTTP API off", () => {
  it("the RFC 9728 metadata routes exist with no authorizer in every auth mode", () => {
    const jwt = { jwtIssuer: ISSUER, jwtAudience: ["client"] };
    for (const authType of ["token", "jwt", "iam"]) {
      const out = api({ authType, ...jwt });
      for (const routeKey of PROTECTED_RESOURCE_METADATA_ROUTES) {
        const route = resourcesOf(out, "aws_apigatewayv2_route").find((r) => r.route_key === routeKey);
        expect({ authType, route }).toEqual({
          authType,
          route: expect.objectContaining({
            authorization_type: "NONE",
            target: "integrations/${aws_apigatewayv2_integration.api_integration.id}",
          }),
        });
        expect(route).not.toHaveProperty("authorizer_id");
      }
    }
    const planTime = api((s) => ({ authType: stringVar(s, "auth", "token") }));
    expect(planTime).toHaveResourceWithProperties(Apigatewayv2Route, {
      route_key: PROTECTED_RESOURCE_METADATA_ROUTES[1],
      authorization_type: "NONE",
    });
  });

  withTerraform(
    'auth "jwt": MCP_OIDC_ISSUER is the authorizer\'s issuer, validated at the front door',
    () => {
      const env = environment(api({ authType: "jwt", jwtIssuer: ISSUER, jwtAudience: ["client", "other"] }));
      // No MCP_OIDC_AUDIENCE: front-door validation does not read it; the authorizer checks both.
      expect(oauthOf(env)).toEqual({ MCP_OIDC_ISSUER: ISSUER, MCP_JWT_VALIDATION: "front-door" });
      expect(env.MCP_ALLOW_INSECURE).toBeUndefined(); // the function's own props decide that
    },
  );

  withTerraform('auth "token": no OAuth unless an issuer is given; then validated in the server', () => {
    expect(oauthOf(environment(api()))).toEqual({});
    const env = environment(
      api({ oidc: { issuer: ISSUER, audience: "mcp", scopes: ["mcp:use", "openid"] } }),
    );
    expect(oauthOf(env)).toEqual({
      MCP_OIDC_ISSUER: ISSUER,
      MCP_JWT_VALIDATION: "server",
      MCP_OIDC_AUDIENCE: "mcp",
      MCP_OIDC_SCOPES: "mcp:use openid",
    });
  });

  it("refuses what cannot work, at synth time", () => {
    const stream = { createFunctionUrl: true, functionUrlInvokeMode: "RESPONSE_STREAM" };
    expect(() => api(stream)).toThrow(STREAMING_NEEDS_NO_HTTP_API);
    expect(() => api({ createHttpApi: false })).toThrow(NEEDS_A_FRONT_DOOR);
    expect(() =>
      api({ createHttpApi: false, createFunctionUrl: true, authType: "jwt", jwtIssuer: ISSUER }),
    ).toThrow(JWT_NEEDS_HTTP_API);
    expect(() => api({ authType: "iam", oidc: { issuer: ISSUER } })).toThrow(OIDC_NEEDS_TOKEN_AUTH);
  });

  withTerraform("RESPONSE_STREAM without the HTTP API: only the function URL, streaming handler", () => {
    const out = api({
      createHttpApi: false,
      createFunctionUrl: true,
      functionUrlAuthType: "NONE",
      functionUrlInvokeMode: "RESPONSE_STREAM",
      oidc: { issuer: ISSUER },
    });
    for (const type of [Apigatewayv2Api, Apigatewayv2Stage, Apigatewayv2Route])
      expect(out).not.toHaveResource(type);
    expect(resourcesOf(out, "aws_cloudwatch_log_group").map((g) => g.name)).toEqual(["/aws/lambda/mcp"]);
    expect(out).toHaveResourceWithProperties(LambdaFunctionUrl, { invoke_mode: "RESPONSE_STREAM" });
    // The URL's own permissions, none for API Gateway.
    expect(resourcesOf(out, "aws_lambda_permission").map((p) => p.principal)).toEqual(["*", "*"]);
    expect(oauthOf(environment(out))).toEqual({
      MCP_OIDC_ISSUER: ISSUER,
      MCP_JWT_VALIDATION: "server",
      MCP_LAMBDA_STREAMING: "1",
    });
  });

  withTerraform(
    "at plan time: counted HTTP API, preconditions on the function, conditional environment",
    () => {
      const out = api((s) => ({
        createHttpApi: boolVar(s, "http_api", true),
        createFunctionUrl: boolVar(s, "url"),
        functionUrlInvokeMode: stringVar(s, "mode", "BUFFERED"),
        authType: stringVar(s, "auth", "token"),
        jwtIssuer: stringVar(s, "issuer", ""),
        oidc: {
          issuer: stringVar(s, "oidc", ""),
          scopes: new TerraformVariable(s, "scopes", { type: "list(string)", default: [] }).listValue,
        },
      }));
      for (const type of ["aws_apigatewayv2_api", "aws_apigatewayv2_stage", "aws_apigatewayv2_integration"]) {
        expect(resourcesOf(out, type)[0]!.count).toBe("${var.http_api ? 1 : 0}");
      }
      expect(
        resourcesOf(out, "aws_apigatewayv2_route").every((r: Json) => r.count === "${var.http_api ? 1 : 0}"),
      ).toBe(true);
      expect(resourcesOf(out, "aws_apigatewayv2_stage")[0]!.api_id).toBe(
        "${one(aws_apigatewayv2_api.api_api[*].id)}",
      );
      const fn = resourcesOf(out, "aws_lambda_function")[0]!;
      const messages = (fn.lifecycle.precondition as Json[]).map((p) => p.error_message);
      expect(messages).toEqual([
        STREAMING_NEEDS_NO_HTTP_API,
        NEEDS_A_FRONT_DOOR,
        JWT_NEEDS_HTTP_API,
        OIDC_NEEDS_TOKEN_AUTH,
      ]);

      const conditions = (fn.lifecycle.precondition as Json[]).map((p) => p.condition as string);
      const probe = withLocals(parse(out), Object.fromEntries(conditions.map((c, n) => [`probe_c${n}`, c])));
      const holds = (values: Record<string, unknown>) =>
        consoleEval(
          probe,
          conditions.map((_c, n) => `local.probe_c${n}`),
          values,
        ).values;
      expect(holds({})).toEqual([true, true, true, true]);
      expect(holds({ url: true, mode: "RESPONSE_STREAM" })).toEqual([false, true, true, true]);
      expect(holds({ url: true, mode: "RESPONSE_STREAM", http_api: false })).toEqual([
        true,
        true,
        true,
        true,
      ]);
      expect(holds({ http_api: false })).toEqual([true, false, true, true]);
      expect(holds({ http_api: false, url: true, auth: "jwt" })).toEqual([true, true, false, true]);
      expect(holds({ auth: "iam", oidc: ISSUER })).toEqual([true, true, true, false]);

      expect(oauthOf(environment(out))).toEqual({});
      expect(oauthOf(environment(out, { auth: "jwt", issuer: ISSUER }))).toEqual({
        MCP_OIDC_ISSUER: ISSUER,
        MCP_JWT_VALIDATION: "front-door",
      });
      expect(oauthOf(environment(out, { oidc: ISSUER, scopes: ["a", "b"] }))).toEqual({
        MCP_OIDC_ISSUER: ISSUER,
        MCP_JWT_VALIDATION: "server",
        MCP_OIDC_SCOPES: "a b",
      });
      // An issuer for in-server validation is ignored outside "token" (and refused by the precondition).
      expect(oauthOf(environment(out, { auth: "iam", oidc: ISSUER }))).toEqual({});
      expect(oauthOf(environment(out, { url: true, mode: "RESPONSE_STREAM", http_api: false }))).toEqual({
        MCP_LAMBDA_STREAMING: "1",
      });
    },
  );
});
