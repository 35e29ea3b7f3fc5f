import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository/index.js";
import { EcrLifecyclePolicy } from "@cdktf/provider-aws/lib/ecr-lifecycle-policy/index.js";
import { EcrRepositoryPolicy } from "@cdktf/provider-aws/lib/ecr-repository-policy/index.js";
import { DockerProvider } from "@cdktf/provider-docker/lib/provider/index.js";
import { Image } from "@cdktf/provider-docker/lib/image/index.js";
import { RegistryImage } from "@cdktf/provider-docker/lib/registry-image/index.js";
import { McpImage } from "../src/image.js";
import { boolVar, parse, resourcesOf, stringVar, synth } from "./helpers.js";

describe("McpImage", () => {
  it("creates an immutable, scanned repository with a lifecycle policy and a Lambda pull policy", () => {
    const out = synth((s, context) => new McpImage(s, "img", { repositoryName: "mcp", context }));
    expect(out).toHaveResourceWithProperties(EcrRepository, {
      name: "mcp",
      image_tag_mutability: "IMMUTABLE",
      image_scanning_configuration: { scan_on_push: true },
      force_delete: false,
    });
    expect(out).toHaveResource(EcrLifecyclePolicy);
    expect(out).toHaveResource(EcrRepositoryPolicy);
    expect(out).not.toHaveResource(Image);
    expect(out).not.toHaveResource(RegistryImage);
    const policy = resourcesOf(out, "aws_ecr_lifecycle_policy")[0]!.policy as string;
    expect(policy).toContain("untagged");
    expect(policy).toContain("imageCountMoreThan");
  });

  it("uses KMS when a key is given", () => {
    const out = synth(
      (s, context) => new McpImage(s, "img", { repositoryName: "mcp", kmsKeyArn: "arn:aws:kms:k", context }),
    );
    expect(out).toHaveResourceWithProperties(EcrRepository, {
      encryption_configuration: [{ encryption_type: "KMS", kms_key: "arn:aws:kms:k" }],
    });
  });

  it("builds and pushes with the docker provider when asked, tagged by a source hash", () => {
    const out = synth((s, context) => {
      new DockerProvider(s, "docker");
      new McpImage(s, "img", { repositoryName: "mcp", build: true, platform: "linux/amd64", context });
    });
    expect(out).toHaveResourceWithProperties(Image, {
      build: {
        dockerfile: "packages/handler/Dockerfile",
        platform: "linux/amd64",
        context: "${path.module}/../..",
      },
    });
    expect(out).toHaveResourceWithProperties(RegistryImage, { keep_remotely: true });
    const json = parse(out);
    const local = Object.values(json.locals as Record<string, string>)[0]!;
    expect(local).toContain('fileset("${path.module}/../..", "packages/handler/**")');
    expect(resourcesOf(out, "docker_image")[0]!.name).toMatch(/repository_url\}:\$\{substr\(local\./);
  });

  it("makes the build conditional when the flag is a variable", () => {
    const out = synth((s, context) => {
      new DockerProvider(s, "docker");
      new McpImage(s, "img", { repositoryName: "mcp", build: boolVar(s, "build"), imageTag: "v1", context });
    });
    expect(resourcesOf(out, "docker_image")[0]!.count).toBe("${var.build ? 1 : 0}");
    expect(resourcesOf(out, "docker_registry_image")[0]!.count).toBe("${var.build ? 1 : 0}");
    expect(resourcesOf(out, "docker_image")[0]!.name).toContain(":v1");
  });

  it("immutable tags: a hash tag rebuilds on a source change; an explicit tag rebuilds on a new tag only", () => {
    const build = (imageTag?: string) =>
      synth((s, context) => {
        new DockerProvider(s, "docker");
        new McpImage(s, "img", { repositoryName: "mcp", build: true, imageTag, context });
      });
    const hashed = build();
    const sourceHash = "${local.img_source_hash}";
    expect(resourcesOf(hashed, "docker_image")[0]!.triggers).toEqual({ source_hash: sourceHash });
    expect(resourcesOf(hashed, "docker_registry_image")[0]!.triggers).toEqual({ source_hash: sourceHash });
    // A fixed tag: pushing a changed source under it would fail (the tag exists and is immutable).
    const fixed = build("v1");
    expect(resourcesOf(fixed, "docker_image")[0]!.triggers).toEqual({ source_hash: "tag:v1" });
    expect(resourcesOf(fixed, "docker_registry_image")[0]!.triggers).toEqual({ source_hash: "tag:v1" });
    const planned = synth((s, context) => {
      new DockerProvider(s, "docker");
      new McpImage(s, "img", { repositoryName: "mcp", build: true, imageTag: stringVar(s, "tag"), context });
    });
    expect(resourcesOf(planned, "docker_image")[0]!.triggers.source_hash).toMatch(
      /^\$\{\(length\(compact\(\[var\.tag\]\)\) >= 1\) \? "tag:\$\{/,
    );
  });
});
