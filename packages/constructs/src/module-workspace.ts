/**
 * The workspace (bucket, sessions, checkpoint key) as the server modules expose it, shared by the
 * Lambda and Fargate stacks: the construct built from workspaceVariables and sessionVariables, and
 * its outputs, so both modules name and describe them alike.
 */
import type { AwsContext } from "./aws-context.js";
import type { sessionVariables, workspaceVariables } from "./module-inputs.js";
import type { ModuleStack } from "./module-stack.js";
import { McpWorkspace } from "./workspace.js";

export interface ModuleWorkspaceProps {
  /** The module's name (the bucket's, table's and secret's prefix). */
  readonly name: string;
  readonly ws: ReturnType<typeof workspaceVariables>;
  readonly sessions: ReturnType<typeof sessionVariables>;
  readonly tags: Record<string, string>;
  readonly context: AwsContext;
}

/** The module's McpWorkspace (id `workspace`), configured by its workspace and session variables. */
export function moduleWorkspace(stack: ModuleStack, props: ModuleWorkspaceProps): McpWorkspace {
  const { ws, sessions } = props;
  return new McpWorkspace(stack, "workspace", {
    name: props.name,
    create: ws.create,
    bucketName: ws.bucketName,
    bucketPrefix: ws.bucketPrefix,
    prefix: ws.prefix,
    expirationDays: ws.expirationDays,
    kmsKeyArn: ws.kmsKeyArn,
    sessions: {
      create: sessions.create,
      tableName: sessions.tableName,
      kmsKeyArn: sessions.kmsKeyArn,
      deletionProtection: sessions.deletionProtection,
      checkpointKey: {
        secretArn: sessions.checkpointKeySecretArn,
        kmsKeyArn: sessions.checkpointKeyKmsKeyArn,
      },
    },
    tags: props.tags,
    context: props.context,
  });
}

/** The workspace's outputs: its bucket, the session table and the checkpoint key's secret. */
export function workspaceOutputs(stack: ModuleStack, workspace: McpWorkspace): void {
  stack.output("workspace_bucket_name", {
    value: workspace.bucketName,
    description: "The workspace bucket (created or given); null unless a workspace is configured.",
  });
  stack.output("session_table_name", {
    value: workspace.sessions.tableName,
    description: "The session lease table (created or given; MCP_SESSION_TABLE); null without sessions.",
  });
  stack.output("session_table_arn", {
    value: workspace.sessions.tableArn,
    description: "ARN of the session lease table; null without sessions.",
  });
  stack.output("checkpoint_key_secret_arn", {
    value: workspace.sessions.checkpointKey.secretArn,
    description:
      "Secret holding the key that signs kernel checkpoints (created or given; MCP_CHECKPOINT_KEY_SECRET_ARN); null without sessions.",
  });
}
