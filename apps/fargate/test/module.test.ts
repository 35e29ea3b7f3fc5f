import type {} from "cdktf/lib/testing/adapters/jest.js";
import { Testing } from "cdktf";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service/index.js";
import { Lb } from "@cdktf/provider-aws/lib/lb/index.js";
import { moduleJson } from "@jupyter-mcp/constructs/module-writer";
import { checkInterface, checkPolicies } from "@jupyter-mcp/constructs/policy";
import { consoleEval, requiringTerraform } from "@jupyter-mcp/constructs/terraform-console";
import { describeModuleContract } from "@jupyter-mcp/constructs/module-suite";
import { buildApp, MODULE_NAME } from "../src/stack.js";

const json = moduleJson(buildApp().stack);
const synthesized = Testing.synth(buildApp().stack);
const withTerraform = (name: string, fn: () => void) => it(name, requiringTerraform(fn));
const REQUIRED = {
  image_uri: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/jupyter-mcp:0123abcd",
  ecr_repository_arn: "arn:aws:ecr:eu-west-1:123456789012:repository/jupyter-mcp",
  vpc_id: "vpc-0123abcd",
  subnet_ids: ["subnet-a"],
  alb_subnet_ids: ["subnet-b", "subnet-c"],
};

describe(`modules/${MODULE_NAME}`, () => {
  describeModuleContract({
    name: MODULE_NAME,
    testUrl: import.meta.url,
    build: () => buildApp().stack,
    configurations: [
      {},
      {
        certificate_arn: "arn:aws:acm:eu-west-1:123456789012:certificate/c",
        cluster_arn: "arn:aws:ecs:eu-west-1:123456789012:cluster/c",
        create_workspace_bucket: true,
        auth_token_ssm_parameter_name: "/mcp/token",
      },
      {
        auth_token_secret_arn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:s",
        auth_token_kms_key_arn: "arn:aws:kms:eu-west-1:123456789012:key/k",
        workspace_bucket_name: "shared",
      },
    ].map((extra) => ({ ...REQUIRED, ...extra })),
  });

  it("has no provider or backend configuration", () => {
    expect(json.provider).toBeUndefined();
    expect((json.terraform as { backend?: unknown }).backend).toBeUndefined();
  });

  it("every variable has a type and a description; policy checks pass", () => {
    expect(checkInterface(json)).toEqual([]);
    expect(checkPolicies(json)).toEqual([]);
  });

  it("private tasks, hardened ALB", () => {
    expect(synthesized).toHaveResourceWithProperties(EcsService, {
      network_configuration: expect.objectContaining({ assign_public_ip: false }),
    });
    expect(synthesized).toHaveResourceWithProperties(Lb, {
      drop_invalid_header_fields: true,
      idle_timeout: "${var.idle_timeout}",
    });
  });

  withTerraform("builds the container environment and refuses invalid inputs (terraform console)", () => {
    const r = consoleEval(json, ["local.fargate_environment"], { ...REQUIRED, max_output_chars: 5000 });
    expect(r.values[0]).toEqual([
      { name: "HOST", value: "0.0.0.0" },
      { name: "JUPYTER_STATE_ROOT", value: "/tmp/jupyter-mcp" },
      { name: "MCP_MAX_OUTPUT_CHARS", value: "5000" },
      { name: "PORT", value: "8080" },
    ]);
    const ws = consoleEval(json, ["local.fargate_environment"], {
      ...REQUIRED,
      workspace_bucket_name: "shared",
    });
    expect(ws.values[0]).toEqual(
      expect.arrayContaining([
        { name: "MCP_WORKSPACE_BUCKET", value: "shared" },
        { name: "MCP_WORKSPACE_PREFIX", value: "workspaces/" },
      ]),
    );
    const sources = [
      "local.auth_token_create_secret",
      "local.auth_token_uses_secret",
      "local.auth_token_uses_ssm",
    ];
    expect(consoleEval(json, sources, REQUIRED).values).toEqual([true, true, false]);
    expect(consoleEval(json, sources, { ...REQUIRED, auth_token_ssm_parameter_name: "/t" }).values).toEqual([
      false,
      false,
      true,
    ]);
    for (const values of [
      { ...REQUIRED, alb_subnet_ids: ["subnet-b"] },
      { ...REQUIRED, alb_ingress_cidr_blocks: ["everyone"] },
      { ...REQUIRED, cpu: 3000 },
      { ...REQUIRED, name: "a-name-that-is-far-too-long-for-an-alb" },
      { ...REQUIRED, certificate_arn: "not-an-arn" },
    ]) {
      expect({ values, ok: consoleEval(json, ["true"], values).ok }).toEqual({ values, ok: false });
    }
  });
});
