/**
 * JWTs the server checks itself (oidc_*): the container's OAuth settings, and "no token but OIDC"
 * as an auth mode of its own. Over the synthesized module, with `terraform console`.
 */
import type {} from "cdktf/lib/testing/adapters/jest.js";
import { NO_TOKEN_OR_OIDC } from "@jupyter-mcp/constructs";
import { moduleJson } from "@jupyter-mcp/constructs/module-writer";
import {
  consoleEval,
  evaluatePreconditions,
  requiringTerraform,
} from "@jupyter-mcp/constructs/terraform-console";
import { expectConsoleCases, type ConsoleCase } from "@jupyter-mcp/constructs/module-suite";
import { buildApp } from "../src/stack.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const json = moduleJson(buildApp().stack) as Json;
const withTerraform = (name: string, fn: () => void) => it(name, requiringTerraform(fn));
const ISSUER = "https://login.example.com/realms/mcp";
const CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/c";
const REQUIRED = {
  image_uri: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/jupyter-mcp:0123abcd",
  ecr_repository_arn: "arn:aws:ecr:eu-west-1:123456789012:repository/jupyter-mcp",
  vpc_id: "vpc-0123abcd",
  subnet_ids: ["subnet-a"],
  alb_subnet_ids: ["subnet-b", "subnet-c"],
};

describe("modules/fargate: OIDC", () => {
  it("declares oidc_issuer, oidc_audience (null) and oidc_scopes ([])", () => {
    const vars = json.variable as Json;
    expect(vars.oidc_issuer.default).toBeNull();
    expect(vars.oidc_audience.default).toBeNull();
    expect(vars.oidc_scopes.default).toEqual([]);
  });

  withTerraform("the container's OAuth settings: in-server validation, the public URL with HTTPS", () => {
    const names = [
      "MCP_OIDC_ISSUER",
      "MCP_JWT_VALIDATION",
      "MCP_OIDC_AUDIENCE",
      "MCP_OIDC_SCOPES",
      "MCP_PUBLIC_URL",
    ];
    const exprs = names.map((n) => `lookup(local.fargate_environment_map, "${n}", null)`);
    const all = { oidc_issuer: ISSUER, oidc_audience: "mcp", oidc_scopes: ["mcp:tools", "openid"] };
    const cases: ConsoleCase[] = [
      [{}, [null, null, null, null, null]],
      [{ domain_name: "mcp.example.com", certificate_arn: CERT }, [null, null, null, null, null]],
      [{ oidc_issuer: ISSUER }, [ISSUER, "server", null, null, null]],
      [all, [ISSUER, "server", "mcp", "mcp:tools openid", null]],
      // Plain HTTP: the handler takes the URL from the request (MCP_PUBLIC_URL must be https).
      [{ ...all, domain_name: "mcp.example.com" }, [ISSUER, "server", "mcp", "mcp:tools openid", null]],
      [
        { ...all, domain_name: "mcp.example.com", certificate_arn: CERT },
        [ISSUER, "server", "mcp", "mcp:tools openid", "https://mcp.example.com"],
      ],
    ];
    expectConsoleCases(json, exprs, cases, REQUIRED);
  });

  withTerraform("token auth allows no token when an issuer is set (JWT callers only)", () => {
    const refused = (values: Json) =>
      evaluatePreconditions(json, { ...REQUIRED, ...values })
        .filter((p) => p.holds === false)
        .map((p) => p.address);
    const task = "aws_ecs_task_definition.fargate_task.lifecycle.precondition[0]";
    expect(refused({ create_auth_token_secret: false })).toEqual([task]);
    expect(refused({ create_auth_token_secret: false, oidc_issuer: ISSUER })).toEqual([]);
    expect(json.resource.aws_ecs_task_definition.fargate_task.lifecycle.precondition[0].error_message).toBe(
      NO_TOKEN_OR_OIDC,
    );
    // No token at all: the task gets no MCP_AUTH_TOKEN secret.
    const values = { ...REQUIRED, create_auth_token_secret: false, oidc_issuer: ISSUER };
    expect(
      consoleEval(json, ["local.auth_token_uses_secret", "local.auth_token_uses_ssm"], values).values,
    ).toEqual([false, false]);
  });

  withTerraform("refuses an issuer that is not https, and scopes that are not scope tokens", () => {
    for (const values of [{ oidc_issuer: "http://login.example.com" }, { oidc_scopes: ["a b"] }]) {
      expect({ values, ok: consoleEval(json, ["true"], { ...REQUIRED, ...values }).ok }).toEqual({
        values,
        ok: false,
      });
    }
  });
});
