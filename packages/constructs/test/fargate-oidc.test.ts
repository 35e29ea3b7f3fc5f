import { TerraformVariable } from "cdktf";
import { AuthToken, NO_TOKEN_OR_OIDC } from "../src/auth-token.js";
import { McpFargate, type McpFargateProps } from "../src/fargate.js";
import { consoleEval, requiringTerraform } from "../src/terraform-console.js";
import { boolVar, FARGATE_BASICS, parse, resourcesOf, stringVar, synth, type Json } from "./helpers.js";

const ISSUER = "https://login.example.com/realms/mcp";
const CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/c";
const withTerraform = (name: string, fn: () => void) => it(name, requiringTerraform(fn));

function fargate(props: Partial<McpFargateProps> = {}, createSecret = true): string {
  return synth((s, context) => {
    const authToken = new AuthToken(s, "tok", {
      name: "mcp",
      context,
      createSecret,
      optionalWhen: props.oidc?.issuer !== undefined,
    });
    new McpFargate(s, "svc", { ...FARGATE_BASICS, authToken, context, ...props });
  });
}

/** The container's environment map, evaluated, without the base settings. */
function oauthEnv(out: string, values: Record<string, unknown> = {}): Json {
  const json = parse(out);
  if (Object.keys(json.variable ?? {}).length === 0)
    json.variable = { unused: { type: "string", default: "" } };
  const r = consoleEval(json, ["local.svc_environment_map"], values);
  expect({ ok: r.ok, stderr: r.ok ? "" : r.stderr }).toEqual({ ok: true, stderr: "" });
  return Object.fromEntries(
    Object.entries(r.values[0] as Json).filter(([k]) => /^MCP_(OIDC|JWT|PUBLIC)/.test(k)),
  );
}

describe("McpFargate: JWTs checked by the server (OIDC)", () => {
  withTerraform("no issuer: no OAuth settings", () => {
    expect(oauthEnv(fargate())).toEqual({});
  });

  withTerraform("issuer, audience and scopes: in-server validation; the public URL with HTTPS", () => {
    const oidc = { issuer: ISSUER, audience: "mcp", scopes: ["mcp:tools"] };
    const expected = {
      MCP_OIDC_ISSUER: ISSUER,
      MCP_JWT_VALIDATION: "server",
      MCP_OIDC_AUDIENCE: "mcp",
      MCP_OIDC_SCOPES: "mcp:tools",
    };
    expect(oauthEnv(fargate({ oidc }))).toEqual(expected);
    expect(oauthEnv(fargate({ oidc, domainName: "mcp.example.com" }))).toEqual(expected);
    expect(oauthEnv(fargate({ oidc, domainName: "mcp.example.com", certificateArn: CERT }))).toEqual({
      ...expected,
      MCP_PUBLIC_URL: "https://mcp.example.com",
    });
  });

  it("JWT callers only: no token source is then fine, and the task gets no token", () => {
    expect(() => fargate({}, false)).toThrow(NO_TOKEN_OR_OIDC);
    const out = fargate({ oidc: { issuer: ISSUER } }, false);
    const defs = resourcesOf(out, "aws_ecs_task_definition")[0]!.container_definitions as string;
    expect(defs).not.toContain("MCP_AUTH_TOKEN");
    expect(resourcesOf(out, "aws_secretsmanager_secret")).toEqual([]);
  });

  withTerraform("at plan time: the precondition admits an issuer instead of a token", () => {
    const out = synth((s, context) => {
      const issuer = stringVar(s, "issuer", "");
      const authToken = new AuthToken(s, "tok", {
        name: "mcp",
        context,
        createSecret: boolVar(s, "create_secret", true),
        optionalWhen: new TerraformVariable(s, "has_issuer", { type: "bool", default: false }).booleanValue,
      });
      new McpFargate(s, "svc", {
        ...FARGATE_BASICS,
        authToken,
        context,
        oidc: { issuer },
        domainName: stringVar(s, "domain", ""),
        certificateArn: stringVar(s, "cert", ""),
      });
    });
    const pre = resourcesOf(out, "aws_ecs_task_definition")[0]!.lifecycle.precondition as Json[];
    expect(pre).toEqual([{ condition: "${local.tok_has_source}", error_message: NO_TOKEN_OR_OIDC }]);
    const holds = (values: Json) => consoleEval(parse(out), ["local.tok_has_source"], values).values[0];
    expect(holds({ create_secret: false })).toBe(false);
    expect(holds({ create_secret: false, has_issuer: true })).toBe(true);
    expect(oauthEnv(out, { issuer: ISSUER, domain: "mcp.example.com", cert: CERT })).toEqual({
      MCP_OIDC_ISSUER: ISSUER,
      MCP_JWT_VALIDATION: "server",
      MCP_PUBLIC_URL: "https://mcp.example.com",
    });
    expect(oauthEnv(out, { issuer: ISSUER, domain: "mcp.example.com" })).toEqual({
      MCP_OIDC_ISSUER: ISSUER,
      MCP_JWT_VALIDATION: "server",
    });
  });
});
