import type {} from "cdktf/lib/testing/adapters/jest.js";
import { Testing, TerraformStack, TerraformVariable } from "cdktf";
import type { Construct } from "constructs";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider/index.js";
import { AuthToken } from "../src/auth-token.js";
import { AwsContext } from "../src/aws-context.js";
import { McpFargate } from "../src/fargate.js";
import { McpFunction } from "../src/function.js";
import { ModuleStack } from "../src/module-stack.js";
import { McpWorkspace, type McpWorkspaceProps } from "../src/workspace.js";

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Synthesizes what `fn` builds in a fresh stack (with the AWS provider and an AwsContext). */
export function synth(fn: (stack: TerraformStack, ctx: AwsContext) => void): string {
  // A ModuleStack, for readable logical ids (fn_logs, not fn_logs_0AD4E1DC); validations run.
  const stack = new ModuleStack(Testing.app(), "test");
  new AwsProvider(stack, "aws");
  fn(stack, new AwsContext(stack, "ctx"));
  return Testing.synth(stack, true);
}

/** The same through Testing.synthScope (hashed logical ids), for constructs that need no context. */
export function synthScope(fn: (scope: Construct) => void): string {
  return Testing.synthScope(fn);
}

export function parse(out: string): Json {
  return JSON.parse(out) as Json;
}

/** The resources of one type, by name. */
export function resourcesOf(out: string, type: string): Json[] {
  return Object.values((parse(out).resource?.[type] ?? {}) as Json);
}

export function dataOf(out: string, type: string): Json[] {
  return Object.values((parse(out).data?.[type] ?? {}) as Json);
}

/** The ephemeral resources of one type (Terraform JSON's top-level `ephemeral` key). */
export function ephemeralOf(out: string, type: string): Json[] {
  return Object.values((parse(out).ephemeral?.[type] ?? {}) as Json);
}

export function stringVar(stack: TerraformStack, name: string, def = ""): string {
  return new TerraformVariable(stack, name, { type: "string", default: def }).stringValue;
}

export function boolVar(stack: TerraformStack, name: string, def = false) {
  return new TerraformVariable(stack, name, { type: "bool", default: def }).booleanValue;
}

/** All IAM statements of all policy documents, flattened. */
export function statements(out: string): Json[] {
  return dataOf(out, "aws_iam_policy_document").flatMap((d) => (d.statement ?? []) as Json[]);
}

/** Allow statements that name an action of one service, e.g. `"dynamodb:"`. */
export function statementsFor(out: string, actionPrefix: string): Json[] {
  return statements(out).filter((x) => (x.actions as string[]).some((a) => a.startsWith(actionPrefix)));
}

export const IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mcp:v1";

/** What a test's McpFargate needs and does not look at: the image, its repository, the network. */
export const FARGATE_BASICS = {
  name: "mcp",
  imageUri: IMAGE,
  ecrRepositoryArn: "arn:aws:ecr:eu-west-1:123456789012:repository/mcp",
  vpcId: "vpc-1",
  subnetIds: ["subnet-a"],
  albSubnetIds: ["subnet-b", "subnet-c"],
};

export type WorkspaceOptions = Omit<McpWorkspaceProps, "name" | "context">;

/**
 * A workspace `ws` (with its sessions) and a function `fn` using it; returns the synthesized JSON.
 * `options` may be a function of the stack, to declare variables for plan-time options.
 */
export function lambdaWith(
  options: WorkspaceOptions | ((stack: TerraformStack) => WorkspaceOptions),
): string {
  return synth((s, context) => {
    const props = typeof options === "function" ? options(s) : options;
    const workspace = new McpWorkspace(s, "ws", { name: "mcp", context, ...props });
    new McpFunction(s, "fn", { functionName: "mcp", imageUri: IMAGE, workspace });
  });
}

/** A token `tok`, a workspace `ws` and a Fargate service `svc` using both. */
export function fargateWith(options: WorkspaceOptions): string {
  return synth((s, context) => {
    const authToken = new AuthToken(s, "tok", { name: "mcp", context });
    const workspace = new McpWorkspace(s, "ws", { name: "mcp", context, ...options });
    new McpFargate(s, "svc", { ...FARGATE_BASICS, authToken, workspace, context });
  });
}

/** The (first) function's environment variables, as the expression string CDKTF renders. */
export function lambdaEnv(out: string): string {
  return resourcesOf(out, "aws_lambda_function")[0]!.environment.variables as string;
}
