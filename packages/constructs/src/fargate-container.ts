/**
 * The task's one container: the image in server mode, read-only root with /tmp as a task volume,
 * the handler's settings as environment (with an OIDC issuer, the JWT validation settings: the
 * server checks the JWTs itself behind the ALB), and the token as an ECS secret.
 */
import type { Construct } from "constructs";
import { Fn, TerraformLocal } from "cdktf";
import { CONTAINER_PORT } from "./fargate-alb.js";
import type { McpFargateProps } from "./fargate.js";
import { settingsEnvironment } from "./function.js";
import { oidcEnvironmentParts } from "./oauth.js";
import { pick, type Cond } from "./util.js";

/** The container definition (before jsonencode); the locals go to `scope` (the McpFargate). */
export function mcpContainer(
  scope: Construct,
  props: McpFargateProps,
  hasCert: Cond,
  logGroupName: string,
): Record<string, unknown> {
  const base: Record<string, string> = {
    ...settingsEnvironment(props.settings),
    HOST: "0.0.0.0",
    PORT: String(CONTAINER_PORT),
  };
  // ECS wants [{name, value}]; the extra environment may be a plan-time map, so the list is
  // built in Terraform (sorted, for a stable task definition).
  const merged = new TerraformLocal(
    scope,
    "environment_map",
    Fn.merge([
      base,
      ...oidcEnvironmentParts({
        ...props.oidc,
        issuer: props.oidc?.issuer,
        validation: "server",
        publicUrl: props.domainName === undefined ? undefined : Fn.format("https://%s", [props.domainName]),
        publicUrlWhen: hasCert,
      }),
      props.workspace?.environment ?? {},
      props.environment ?? {},
    ]),
  );
  const m = merged.asString;
  const environment = new TerraformLocal(
    scope,
    "environment",
    `\${[for k in sort(keys(${m})) : { name = k, value = ${m}[k] }]}`,
  ).asList;
  const container = {
    name: "mcp",
    image: props.imageUri,
    command: ["server"],
    essential: true,
    readonlyRootFilesystem: true,
    portMappings: [{ containerPort: CONTAINER_PORT, protocol: "tcp" }],
    environment,
    // The token from Secrets Manager or SSM; ECS resolves it at task start (execution role).
    secrets: pick(
      props.authToken.usesSecret,
      [{ name: "MCP_AUTH_TOKEN", valueFrom: props.authToken.secretArn }],
      pick(
        props.authToken.usesSsm,
        [{ name: "MCP_AUTH_TOKEN", valueFrom: props.authToken.ssmParameterArn }],
        [],
      ),
    ),
    mountPoints: [{ sourceVolume: "tmp", containerPath: "/tmp", readOnly: false }],
    logConfiguration: {
      logDriver: "awslogs",
      options: {
        "awslogs-group": logGroupName,
        "awslogs-region": props.context.region,
        "awslogs-stream-prefix": "mcp",
      },
    },
  };
  return container;
}
