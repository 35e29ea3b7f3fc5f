import type {} from "cdktf/lib/testing/adapters/jest.js";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Testing } from "cdktf";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository/index.js";
import { Image } from "@cdktf/provider-docker/lib/image/index.js";
import { moduleJson } from "@jupyter-mcp/constructs/module-writer";
import { checkInterface, checkPolicies } from "@jupyter-mcp/constructs/policy";
import { consoleEval, requiringTerraform, withLocals } from "@jupyter-mcp/constructs/terraform-console";
import { describeModuleContract } from "@jupyter-mcp/constructs/module-suite";
import { buildApp, MODULE_NAME } from "../src/stack.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const json = moduleJson(buildApp().stack);
const synthesized = Testing.synth(buildApp().stack);
const withTerraform = (name: string, fn: () => void) => it(name, requiringTerraform(fn));

describe(`modules/${MODULE_NAME}`, () => {
  describeModuleContract({
    name: MODULE_NAME,
    testUrl: import.meta.url,
    build: () => buildApp().stack,
    configurations: [
      {},
      { create_image_build: true, image_tag: "v1", kms_key_arn: "arn:aws:kms:eu-west-1:123456789012:key/k" },
    ],
  });

  it("requires the aws and docker providers by constraint, configures neither", () => {
    expect(json.provider).toBeUndefined();
    expect(json.terraform).toEqual({
      required_providers: {
        aws: { source: "hashicorp/aws", version: ">= 6.29" },
        docker: { source: "kreuzwerker/docker", version: ">= 3.6" },
      },
      required_version: ">= 1.11.0",
    });
  });

  it("every variable has a type and a description; policy checks pass", () => {
    expect(checkInterface(json)).toEqual([]);
    expect(checkPolicies(json)).toEqual([]);
  });

  it("immutable scanned repository; the build is optional", () => {
    expect(synthesized).toHaveResourceWithProperties(EcrRepository, {
      image_tag_mutability: "IMMUTABLE",
      image_scanning_configuration: { scan_on_push: true },
    });
    expect(synthesized).toHaveResourceWithProperties(Image, { count: "${var.create_image_build ? 1 : 0}" });
  });

  withTerraform("tags by the content of the build inputs (terraform console)", () => {
    const root = mkdtempSync(join(tmpdir(), "image-ctx-"));
    try {
      mkdirSync(join(root, "packages/handler"), { recursive: true });
      writeFileSync(join(root, "packages/handler/Dockerfile"), "FROM scratch\n");
      writeFileSync(join(root, "package.json"), "{}\n");
      const hash = () => consoleEval(json, ["local.image_source_hash"], { build_context: root }).values[0];
      const first = hash();
      expect(first).toMatch(/^[0-9a-f]{40}$/);
      expect(hash()).toBe(first);
      writeFileSync(join(root, "packages/handler/Dockerfile"), "FROM scratch\nUSER 1000\n");
      expect(hash()).not.toBe(first);
      // Immutable tags: the hash tag follows the source; a fixed tag is the build's trigger instead,
      // so a changed source never pushes a new build under an existing tag.
      const build = ((json.resource as Json).docker_image as Json).image_build;
      const probe = withLocals(json, {
        probe_tag: (json.output as Json).image_tag.value,
        probe_trigger: build.triggers.source_hash,
      });
      const tagged = (values: Record<string, unknown>) =>
        consoleEval(probe, ["local.probe_tag", "local.probe_trigger", "local.image_source_hash"], {
          build_context: root,
          ...values,
        }).values;
      const [tag, trigger, source] = tagged({});
      expect([tag, trigger]).toEqual([String(source).slice(0, 16), source]);
      expect(tagged({ image_tag: "v1.2.3" }).slice(0, 2)).toEqual(["v1.2.3", "tag:v1.2.3"]);
      expect(consoleEval(json, ["true"], { image_tag: "-bad" }).ok).toBe(false);
      expect(consoleEval(json, ["true"], { repository_name: "Upper" }).ok).toBe(false);
      expect(consoleEval(json, ["true"], { platform: "linux/s390x" }).ok).toBe(false);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
