/**
 * Image: the ECR repository and, optionally, the build and push of packages/handler/Dockerfile
 * with the docker provider (module modules/image).
 */
import { App, TerraformLocal } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider/index.js";
import { DockerProvider } from "@cdktf/provider-docker/lib/provider/index.js";
import {
  ARN_PATTERNS,
  AwsContext,
  McpImage,
  ModuleStack,
  optionalString,
  rule,
  tagsVariable,
} from "@jupyter-mcp/constructs";

export const MODULE_NAME = "image";

export class ImageStack extends ModuleStack {
  constructor(scope: App, id: string) {
    super(scope, id);
    new AwsProvider(this, "aws", {});
    new DockerProvider(this, "docker", {});
    const context = new AwsContext(this, "context");
    const repositoryName = this.variable("repository_name", {
      type: "string",
      default: "jupyter-mcp",
      description: "Name of the ECR repository.",
      validation: [
        rule(
          'can(regex("^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$", var.repository_name))',
          "repository_name must be a valid ECR repository name (lowercase).",
        ),
      ],
    }).stringValue;
    const createBuild = this.variable("create_image_build", {
      type: "bool",
      default: false,
      description:
        "Build packages/handler/Dockerfile and push it with the docker provider (needs a Docker engine where Terraform runs, and the docker provider configured with ECR credentials; see the README). False when CI builds and pushes the image.",
    }).booleanValue;
    optionalString(this, "build_context", {
      description:
        "Docker build context: the root of this repository. null: the repository this module was fetched from (path.module/../..), which works with a git source.",
    });
    const dockerfile = this.variable("dockerfile", {
      type: "string",
      default: "packages/handler/Dockerfile",
      description: "Dockerfile path relative to build_context.",
    }).stringValue;
    const platform = this.variable("platform", {
      type: "string",
      default: "linux/arm64",
      description: 'Image platform: "linux/arm64" (for architecture arm64 / ARM64) or "linux/amd64".',
      validation: [
        rule(
          'contains(["linux/arm64", "linux/amd64"], var.platform)',
          "platform must be linux/arm64 or linux/amd64.",
        ),
      ],
    }).stringValue;
    const imageTag = optionalString(this, "image_tag", {
      description:
        "Tag of the built image. null (recommended): a hash of the build inputs, so a changed source gets a new tag and an unchanged one no rebuild. Tags are immutable, so a fixed tag names one build: the image is rebuilt when the tag changes, not when the source does (pushing a new build under an existing tag would fail); set a new tag, e.g. your commit, for each build.",
      pattern: "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$",
      message:
        "image_tag must be a Docker tag (letters, digits, _ . -, at most 128, not starting with . or -).",
    });
    const forceDelete = this.variable("force_delete", {
      type: "bool",
      default: false,
      description: "Let `terraform destroy` delete the repository even if it holds images.",
    }).booleanValue;
    const kms = optionalString(this, "kms_key_arn", {
      description: "KMS key ARN to encrypt the repository with; AES256 when null.",
      pattern: ARN_PATTERNS.kms,
      message: "kms_key_arn must be a KMS key ARN.",
    });
    const keepImages = this.variable("keep_images", {
      type: "number",
      default: 20,
      description: "The lifecycle policy keeps this many most recent images.",
      validation: [rule("var.keep_images >= 1", "keep_images must be at least 1.")],
    }).numberValue;
    const untaggedDays = this.variable("untagged_image_expiry_days", {
      type: "number",
      default: 7,
      description: "The lifecycle policy expires untagged images after this many days.",
      validation: [
        rule("var.untagged_image_expiry_days >= 1", "untagged_image_expiry_days must be at least 1."),
      ],
    }).numberValue;
    const tags = tagsVariable(this);

    const context_ = new TerraformLocal(
      this,
      "build_context",
      `\${var.build_context != null && var.build_context != "" ? var.build_context : "\${path.module}/../.."}`,
    );
    const image = new McpImage(this, "image", {
      repositoryName,
      build: createBuild,
      buildContext: context_.asString,
      dockerfile,
      platform,
      imageTag,
      forceDelete,
      kmsKeyArn: kms,
      keepImages,
      untaggedExpireDays: untaggedDays,
      tags,
      context,
    });

    this.output("repository_name", {
      value: image.repository.name,
      description: "Name of the ECR repository.",
    });
    this.output("repository_arn", {
      value: image.repository.arn,
      description: "ARN of the ECR repository (the fargate module's ecr_repository_arn).",
    });
    this.output("repository_url", {
      value: image.repository.repositoryUrl,
      description: "URL of the ECR repository, for `docker push` from CI (`<repository_url>:<tag>`).",
    });
    this.output("image_tag", { value: image.imageTag, description: "Tag a build here uses (or would use)." });
    this.output("image_uri", {
      value: image.imageUri,
      description: "`<repository_url>@<digest>` of the image built here; null unless create_image_build.",
    });
  }
}

export function buildApp(outdir?: string): { app: App; stack: ImageStack } {
  const app = new App({ outdir });
  return { app, stack: new ImageStack(app, MODULE_NAME) };
}
