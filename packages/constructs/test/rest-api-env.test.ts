import { cognitoIssuer } from "../src/oauth.js";
import { OIDC_ISSUER_NEEDS_JWT } from "../src/rest-api.js";
import { consoleEval, requiringTerraform, withLocals } from "../src/terraform-console.js";
import { parse, resourcesOf, stringVar, type Json } from "./helpers.js";
import { AUTHORIZER_FN, listVar, POOL, restApi, routesOf, type RestOptions } from "./rest-api-helpers.js";
import type { TerraformStack } from "cdktf";

const withTerraform = (name: string, fn: () => void) => it(name, requiringTerraform(fn));
const DNS = "<data.aws_partition.api_partition.dns_suffix>";
const PUBLIC_URL = `https://<aws_api_gateway_rest_api.api_api.id>.execute-api.<data.aws_region.ctx_region.region>.${DNS}/v1`;

/** The function's environment, evaluated (resource attributes become "<type.name.attr>"). */
function environment(out: string, values: Record<string, unknown> = {}): Json {
  const json = parse(out);
  if (Object.keys(json.variable ?? {}).length === 0)
    json.variable = { unused: { type: "string", default: "" } };
  const fn = resourcesOf(out, "aws_lambda_function")[0]!;
  const r = consoleEval(
    withLocals(json, { probe_env: fn.environment.variables }),
    ["local.probe_env"],
    values,
  );
  expect({ ok: r.ok, stderr: r.ok ? "" : r.stderr }).toEqual({ ok: true, stderr: "" });
  const env = r.values[0] as Json;
  return Object.fromEntries(
    Object.entries(env).filter(([k]) => /^MCP_(OIDC|JWT|PUBLIC|LAMBDA_STREAMING)/.test(k)),
  );
}

describe("McpRestApi: the handler's streaming and OAuth environment", () => {
  it("Cognito's issuer from a pool ARN", () => {
    expect(cognitoIssuer(POOL, "amazonaws.com")).toBe(
      "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc",
    );
    expect(() => cognitoIssuer("arn:aws:iam::123456789012:role/x", "amazonaws.com")).toThrow(/Cognito/);
  });

  withTerraform("every route streams, so the handler is the streaming one in every auth mode", () => {
    for (const props of [{}, { authType: "iam" }, { authType: "jwt", cognitoUserPoolArns: [POOL] }]) {
      const out = restApi(props);
      const modes = Object.values(routesOf(out)).map((r) => r.integration.response_transfer_mode);
      expect(new Set(modes)).toEqual(new Set(["STREAM"]));
      expect(environment(out).MCP_LAMBDA_STREAMING).toBe("1");
    }
    expect(environment(restApi())).toEqual({ MCP_LAMBDA_STREAMING: "1" });
    expect(environment(restApi({ authType: "iam" }))).toEqual({ MCP_LAMBDA_STREAMING: "1" });
  });

  withTerraform('"jwt" with Cognito: the first pool\'s issuer, front-door validation, the stage URL', () => {
    const out = restApi({
      authType: "jwt",
      cognitoUserPoolArns: [POOL, POOL.replace("_abc", "_def")],
      cognitoAuthorizationScopes: ["mcp/use"],
    });
    expect(environment(out)).toEqual({
      MCP_LAMBDA_STREAMING: "1",
      MCP_OIDC_ISSUER: `https://cognito-idp.eu-west-1.${DNS}/eu-west-1_abc`,
      MCP_JWT_VALIDATION: "front-door",
      MCP_OIDC_SCOPES: "mcp/use",
      MCP_PUBLIC_URL: PUBLIC_URL,
    });
  });

  withTerraform(
    '"jwt" with a Lambda authorizer: OAuth only with an oidcIssuer; refused outside "jwt"',
    () => {
      expect(environment(restApi({ authType: "jwt", lambdaAuthorizerFunctionArn: AUTHORIZER_FN }))).toEqual({
        MCP_LAMBDA_STREAMING: "1",
      });
      const issuer = "https://login.example.com/";
      const out = restApi({
        authType: "jwt",
        lambdaAuthorizerFunctionArn: AUTHORIZER_FN,
        oidcIssuer: issuer,
      });
      expect(environment(out)).toMatchObject({ MCP_OIDC_ISSUER: issuer, MCP_JWT_VALIDATION: "front-door" });
      expect(() => restApi({ oidcIssuer: issuer })).toThrow(OIDC_ISSUER_NEEDS_JWT);
    },
  );

  withTerraform("at plan time: issuer from the pool variable, or oidc_issuer first", () => {
    const build = (s: TerraformStack): RestOptions => ({
      authType: stringVar(s, "auth", "token"),
      cognitoUserPoolArns: listVar(s, "pools"),
      cognitoAuthorizationScopes: listVar(s, "scopes"),
      lambdaAuthorizerFunctionArn: stringVar(s, "authorizer", ""),
      oidcIssuer: stringVar(s, "issuer", ""),
    });
    const out = restApi({}, build);
    expect(environment(out)).toEqual({ MCP_LAMBDA_STREAMING: "1" });
    expect(environment(out, { auth: "iam" })).toEqual({ MCP_LAMBDA_STREAMING: "1" });
    expect(environment(out, { auth: "jwt", pools: [POOL] })).toEqual({
      MCP_LAMBDA_STREAMING: "1",
      MCP_OIDC_ISSUER: `https://cognito-idp.eu-west-1.${DNS}/eu-west-1_abc`,
      MCP_JWT_VALIDATION: "front-door",
      MCP_PUBLIC_URL: PUBLIC_URL,
    });
    expect(
      environment(out, { auth: "jwt", pools: [POOL], scopes: ["a", "b"], issuer: "https://idp.example/" }),
    ).toMatchObject({ MCP_OIDC_ISSUER: "https://idp.example/", MCP_OIDC_SCOPES: "a b" });
    expect(environment(out, { auth: "jwt", authorizer: AUTHORIZER_FN })).toEqual({
      MCP_LAMBDA_STREAMING: "1",
    });
    const api = resourcesOf(out, "aws_api_gateway_rest_api")[0]!;
    const check = (api.lifecycle.precondition as Json[]).find(
      (p) => p.error_message === OIDC_ISSUER_NEEDS_JWT,
    )!;
    const probe = withLocals(parse(out), { probe_check: check.condition });
    expect(consoleEval(probe, ["local.probe_check"], { issuer: "https://idp.example/" }).values).toEqual([
      false,
    ]);
    expect(
      consoleEval(probe, ["local.probe_check"], {
        issuer: "https://idp.example/",
        auth: "jwt",
        pools: [POOL],
      }).values,
    ).toEqual([true]);
  });
});
