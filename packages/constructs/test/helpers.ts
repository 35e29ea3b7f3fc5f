import type {} from "cdktf/lib/testing/adapters/jest.js";
import { Testing, TerraformStack, TerraformVariable } from "cdktf";
import type { Construct } from "constructs";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider/index.js";
import { AwsContext } from "../src/aws-context.js";
import { ModuleStack } from "../src/module-stack.js";

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
