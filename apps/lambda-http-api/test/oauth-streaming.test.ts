/**
 * RFC 9728 routes, the handler's OAuth settings per auth mode, the streaming function URL and the
 * HTTP API switch it needs: over the synthesized module, with `terraform console`.
 */
import type {} from "cdktf/lib/testing/adapters/jest.js";
import {
  JWT_NEEDS_HTTP_API,
  NEEDS_A_FRONT_DOOR,
  NO_TOKEN_OR_OIDC,
  OIDC_NEEDS_TOKEN_AUTH,
  STREAMING_NEEDS_NO_HTTP_API,
} from "@jupyter-mcp/constructs";
import { moduleJson } from "@jupyter-mcp/constructs/module-writer";
import {
  consoleEval,
  evaluatePreconditions,
  requiringTerraform,
  withLocals,
} from "@jupyter-mcp/constructs/terraform-console";
import { expectConsoleCases, type ConsoleCase } from "@jupyter-mcp/constructs/module-suite";
import { buildApp } from "../src/stack.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/jupyter-mcp:0123abcd";
const ISSUER = "https://login.example.com/realms/mcp";
const json = moduleJson(buildApp().stack) as Json;
const res = json.resource as Json;
const withTerraform = (name: string, fn: () => void) => it(name, requiringTerraform(fn));
const STREAMING = {
  create_http_api: false,
  create_function_url: true,
  function_url_authorization_type: "NONE",
  function_url_invoke_mode: "RESPONSE_STREAM",
};
/** The error messages of the preconditions that do not hold. */
const refusals = (values: Record<string, unknown>): string[] => {
  const all = evaluatePreconditions(json, { image_uri: IMAGE, ...values });
  const fn = res.aws_lambda_function.lambda_function;
  const messages = (fn.lifecycle.precondition as Json[]).map((p) => p.error_message as string);
  return all
    .filter((p) => p.holds === false)
    .map((p) => {
      const m = /^aws_lambda_function\.lambda_function\.lifecycle\.precondition\[(\d+)\]$/.exec(p.address);
      return m ? messages[Number(m[1])]! : p.address;
    });
};

describe("modules/lambda-http-api: OAuth discovery, JWTs and streaming", () => {
  it("the RFC 9728 metadata routes: open (NONE, no authorizer) whatever auth_type", () => {
    for (const name of [
      "http_api_route_get_well_known_oauth_protected_resource",
      "http_api_route_get_well_known_oauth_protected_resource_mcp",
    ]) {
      const route = res.aws_apigatewayv2_route[name];
      expect(route).toMatchObject({ authorization_type: "NONE", count: "${var.create_http_api ? 1 : 0}" });
      expect(route).not.toHaveProperty("authorizer_id");
    }
  });

  it("declares the inputs: HTTP API on and buffered by default, no OIDC issuer", () => {
    const vars = json.variable as Json;
    expect(vars.create_http_api.default).toBe(true);
    expect(vars.function_url_invoke_mode.default).toBe("BUFFERED");
    expect(vars.oidc_issuer.default).toBeNull();
    expect(vars.oidc_audience.default).toBeNull();
    expect(vars.oidc_scopes.default).toEqual([]);
    expect(res.aws_lambda_function_url.http_api_url.invoke_mode).toBe("${var.function_url_invoke_mode}");
  });

  withTerraform("refuses invalid values (variable validations)", () => {
    for (const values of [
      { function_url_invoke_mode: "STREAM" },
      { oidc_issuer: "http://login.example.com" },
      { oidc_scopes: ["two words"] },
      { oidc_scopes: ['quo"te'] },
    ]) {
      expect({ values, ok: consoleEval(json, ["true"], { image_uri: IMAGE, ...values }).ok }).toEqual({
        values,
        ok: false,
      });
    }
    const ok = {
      oidc_issuer: ISSUER,
      oidc_scopes: ["mcp:tools", "openid"],
      function_url_invoke_mode: "RESPONSE_STREAM",
    };
    expect(consoleEval(json, ["true"], { image_uri: IMAGE, ...ok }).ok).toBe(true);
  });

  withTerraform("preconditions: what cannot work stops the plan", () => {
    expect(refusals({})).toEqual([]);
    expect(refusals({ create_function_url: true, function_url_invoke_mode: "RESPONSE_STREAM" })).toEqual([
      STREAMING_NEEDS_NO_HTTP_API,
    ]);
    expect(refusals(STREAMING)).toEqual([]);
    expect(refusals({ create_http_api: false })).toEqual([NEEDS_A_FRONT_DOOR]);
    expect(
      refusals({ create_http_api: false, create_function_url: true, auth_type: "jwt", jwt_issuer: ISSUER }),
    ).toEqual([JWT_NEEDS_HTTP_API]);
    expect(refusals({ auth_type: "iam", oidc_issuer: ISSUER })).toEqual([OIDC_NEEDS_TOKEN_AUTH]);
    // JWT callers only: no token is then needed; without an issuer it still is.
    expect(refusals({ create_auth_token_secret: false, oidc_issuer: ISSUER })).toEqual([]);
    expect(refusals({ create_auth_token_secret: false })).toEqual([NO_TOKEN_OR_OIDC]);
  });

  withTerraform("the handler's OAuth and streaming settings per auth_type (terraform console)", () => {
    const env = res.aws_lambda_function.lambda_function.environment.variables;
    const probe = withLocals(json, { probe_env: env });
    const pick = (name: string) => `lookup(local.probe_env, "${name}", null)`;
    const exprs = [
      "MCP_OIDC_ISSUER",
      "MCP_JWT_VALIDATION",
      "MCP_OIDC_AUDIENCE",
      "MCP_OIDC_SCOPES",
      "MCP_LAMBDA_STREAMING",
      "MCP_ALLOW_INSECURE",
    ].map(pick);
    const cases: ConsoleCase[] = [
      [{}, [null, null, null, null, null, null]],
      [
        { auth_type: "jwt", jwt_issuer: ISSUER, jwt_audience: ["a", "b"] },
        [ISSUER, "front-door", null, null, null, "1"],
      ],
      [
        { oidc_issuer: ISSUER, oidc_audience: "mcp", oidc_scopes: ["mcp:tools", "openid"] },
        [ISSUER, "server", "mcp", "mcp:tools openid", null, null],
      ],
      [{ ...STREAMING, oidc_issuer: ISSUER }, [ISSUER, "server", null, null, "1", null]],
      [{ auth_type: "iam" }, [null, null, null, null, null, "1"]],
    ];
    expectConsoleCases(probe, exprs, cases, { image_uri: IMAGE });
  });

  withTerraform("without the HTTP API the URLs are the function URL's (terraform console)", () => {
    const out = json.output as Json;
    const probe = withLocals(json, {
      probe_mcp: out.mcp_url.value,
      probe_health: out.health_url.value,
    });
    const exprs = ["local.probe_mcp", "local.probe_health"];
    const url = "<aws_lambda_function_url.http_api_url.function_url>";
    const cases: ConsoleCase[] = [
      [
        {},
        [
          "<aws_apigatewayv2_stage.http_api_stage.invoke_url>/mcp",
          "<aws_apigatewayv2_stage.http_api_stage.invoke_url>/health",
        ],
      ],
      [STREAMING, [`${url}/mcp`, `${url}/health`]],
    ];
    expectConsoleCases(probe, exprs, cases, { image_uri: IMAGE });
  });
});
