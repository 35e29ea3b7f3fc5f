/**
 * The container image: an ECR repository (scan on push, IMMUTABLE tags, lifecycle policy, a
 * repository policy that lets Lambda in this account pull) and, optionally, a build and push of
 * `packages/handler/Dockerfile` (repository root as context) with the kreuzwerker/docker provider,
 * in the manner of terraform-aws-modules/lambda's docker-build submodule. Callers whose CI builds the
 * image skip the build and pass the pushed image URI to the function/Fargate modules.
 *
 * Tags are immutable, so pushing a new build under a tag that exists fails. A build's tag is
 * therefore derived from the content of the build inputs (`source_hash`) unless an explicit tag is
 * given: a changed source gives a new tag, an unchanged one no rebuild. An explicit tag names one
 * build: the rebuild is triggered by the tag, not by the source (a changed source under the same
 * tag would be a push to an existing, immutable tag), so a new build needs a new tag.
 */
import { Construct } from "constructs";
import { Fn, TerraformLocal, Token } from "cdktf";
import { EcrLifecyclePolicy } from "@cdktf/provider-aws/lib/ecr-lifecycle-policy/index.js";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository/index.js";
import { EcrRepositoryPolicy } from "@cdktf/provider-aws/lib/ecr-repository-policy/index.js";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js";
import { Image } from "@cdktf/provider-docker/lib/image/index.js";
import { RegistryImage } from "@cdktf/provider-docker/lib/registry-image/index.js";
import type { AwsContext } from "./aws-context.js";
import { isSet, NULL, pick, ref, when, type Cond } from "./util.js";

export interface McpImageProps {
  readonly repositoryName: string;
  /** Delete the repository even when it holds images (default false). */
  readonly forceDelete?: Cond;
  /** KMS key for the repository; AES256 when unset. */
  readonly kmsKeyArn?: string;
  /** Keep this many most recent tagged images (default 20). */
  readonly keepImages?: number;
  /** Expire untagged images after this many days (default 7). */
  readonly untaggedExpireDays?: number;
  /** Build and push with the docker provider. */
  readonly build?: Cond;
  /** Build context: the repository root (default "../.." from a module under modules/). */
  readonly buildContext?: string;
  /** Dockerfile path relative to the context. */
  readonly dockerfile?: string;
  /** Target platform, e.g. linux/arm64 (must match the function's architecture). */
  readonly platform?: string;
  /** Explicit tag; when unset, a hash of the build inputs. */
  readonly imageTag?: string;
  /** Paths (globs relative to the context) whose content decides the tag. */
  readonly sourceGlobs?: string[];
  readonly tags?: Record<string, string>;
  readonly context: AwsContext;
}

export class McpImage extends Construct {
  readonly repository: EcrRepository;
  readonly image?: Image;
  readonly registryImage?: RegistryImage;
  /** `<repository_url>@<digest>` when built here, else null. */
  readonly imageUri: string;
  readonly imageTag: string;

  constructor(scope: Construct, id: string, props: McpImageProps) {
    super(scope, id);
    const ctx = props.context;
    const kms = isSet(props.kmsKeyArn);
    this.repository = new EcrRepository(this, "repository", {
      name: props.repositoryName,
      imageTagMutability: "IMMUTABLE",
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: [
        { encryptionType: pick(kms, "KMS", "AES256"), kmsKey: pick(kms, props.kmsKeyArn ?? "", NULL) },
      ],
      forceDelete: props.forceDelete ?? false,
      tags: props.tags,
    });

    new EcrLifecyclePolicy(this, "lifecycle", {
      repository: this.repository.name,
      policy: Fn.jsonencode({
        rules: [
          {
            rulePriority: 1,
            description: "Expire untagged images",
            selection: {
              tagStatus: "untagged",
              countType: "sinceImagePushed",
              countUnit: "days",
              countNumber: props.untaggedExpireDays ?? 7,
            },
            action: { type: "expire" },
          },
          {
            rulePriority: 2,
            description: "Keep the most recent tagged images",
            selection: {
              tagStatus: "any",
              countType: "imageCountMoreThan",
              countNumber: props.keepImages ?? 20,
            },
            action: { type: "expire" },
          },
        ],
      }),
    });

    const pull = new DataAwsIamPolicyDocument(this, "pull-policy", {
      statement: [
        {
          sid: "LambdaPull",
          effect: "Allow",
          actions: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
          principals: [{ type: "Service", identifiers: ["lambda.amazonaws.com"] }],
          condition: [
            {
              test: "StringLike",
              variable: "aws:sourceArn",
              values: [`arn:${ctx.partition}:lambda:${ctx.region}:${ctx.accountId}:function:*`],
            },
          ],
        },
      ],
    });
    new EcrRepositoryPolicy(this, "repository-policy", {
      repository: this.repository.name,
      policy: pull.json,
    });

    const buildContext = props.buildContext ?? "${path.module}/../..";
    const globs = props.sourceGlobs ?? [
      "packages/handler/**",
      "packages/event-adapter/**",
      "package.json",
      "pnpm-lock.yaml",
    ];
    // In an expression, a token renders bare (local.x) and a literal must be quoted.
    const ctxExpr = Token.isUnresolved(buildContext) ? buildContext : JSON.stringify(buildContext);
    const files = globs.map((g) => `fileset(${ctxExpr}, ${JSON.stringify(g)})`).join(", ");
    // A raw expression: CDKTF escapes "${" inside its Fn helpers, not in a top-level string.
    const sourceHash = new TerraformLocal(
      this,
      "source_hash",
      `\${sha1(join("", [for f in sort(setunion(${files})) : filesha1(join("/", [${ctxExpr}, f]))]))}`,
    ).asString;
    const explicitTag = isSet(props.imageTag);
    this.imageTag = pick(explicitTag, props.imageTag ?? "", Fn.substr(sourceHash, 0, 16));
    // What replaces the build and the push: the tag itself when it is explicit (see above).
    const trigger = { source_hash: pick(explicitTag, `tag:${this.imageTag}`, sourceHash) };

    const build = props.build ?? false;
    this.image = when(
      build,
      (count) =>
        new Image(this, "build", {
          count,
          name: `${this.repository.repositoryUrl}:${this.imageTag}`,
          keepLocally: false,
          platform: props.platform ?? "linux/arm64",
          buildAttribute: {
            context: buildContext,
            dockerfile: props.dockerfile ?? "packages/handler/Dockerfile",
            platform: props.platform ?? "linux/arm64",
          },
          triggers: trigger,
        }),
    );
    if (this.image) {
      this.registryImage = new RegistryImage(this, "push", {
        count: this.image.count,
        name: ref(this.image, "name"),
        keepRemotely: true,
        triggers: trigger,
      });
      this.imageUri = pick(
        build,
        `${this.repository.repositoryUrl}@${ref(this.registryImage, "sha256_digest")}`,
        NULL,
      );
    } else {
      this.imageUri = NULL;
    }
  }
}
