/**
 * The function's and the bearer token's inputs, named, typed and validated as in the lambda-http-api
 * module, so a user can move between the two front doors with the same values. (They are declared
 * here, not shared, while that module's stack still declares its own; they belong in module-inputs.)
 */
import { rule, type ModuleStack } from "@jupyter-mcp/constructs";

export function functionVariables(stack: ModuleStack) {
  const functionName = stack.variable("function_name", {
    type: "string",
    default: "jupyter-mcp",
    description:
      "Name of the Lambda function; also the prefix of the API, the roles, the secret and the log groups.",
    validation: [
      rule(
        'can(regex("^[A-Za-z0-9_-]{1,56}$", var.function_name))',
        "function_name must be 1-56 letters, digits, hyphens or underscores.",
      ),
    ],
  }).stringValue;
  const imageUri = stack.variable("image_uri", {
    type: "string",
    description:
      "ECR image URI of the server (packages/handler/Dockerfile), by tag or digest, e.g. the image module's image_uri output or what your CI pushed.",
    validation: [
      rule(
        'can(regex("^[0-9]{12}\\\\.dkr\\\\.ecr\\\\.[a-z0-9-]+\\\\.amazonaws\\\\.com(\\\\.cn)?/[^:@]+(:[^:@]+|@sha256:[0-9a-f]{64})$", var.image_uri))',
        "image_uri must be an ECR image URI with a tag or a sha256 digest.",
      ),
    ],
  }).stringValue;
  const architecture = stack.variable("architecture", {
    type: "string",
    default: "arm64",
    description: 'Instruction set of the function: "arm64" or "x86_64". Must match the image.',
    validation: [
      rule('contains(["arm64", "x86_64"], var.architecture)', 'architecture must be "arm64" or "x86_64".'),
    ],
  }).stringValue;
  const memorySize = stack.variable("memory_size", {
    type: "number",
    default: 2048,
    description: "Memory of the function in MB (CPU scales with it). The kernel and its libraries live here.",
    validation: [
      rule(
        "var.memory_size >= 512 && var.memory_size <= 10240",
        "memory_size must be between 512 and 10240.",
      ),
    ],
  }).numberValue;
  const timeout = stack.variable("timeout", {
    type: "number",
    default: 900,
    description:
      "Function timeout in seconds. A call through the REST API ends at the sooner of this and integration_timeout_milliseconds.",
    validation: [rule("var.timeout >= 1 && var.timeout <= 900", "timeout must be between 1 and 900.")],
  }).numberValue;
  const ephemeralStorageSize = stack.variable("ephemeral_storage_size", {
    type: "number",
    default: 2048,
    description: "Size of /tmp in MB, where the kernel's files live (JUPYTER_STATE_ROOT).",
    validation: [
      rule(
        "var.ephemeral_storage_size >= 512 && var.ephemeral_storage_size <= 10240",
        "ephemeral_storage_size must be between 512 and 10240.",
      ),
    ],
  }).numberValue;
  // No reservation by default: AWS keeps 100 units of the account's concurrency unreserved, so
  // accounts with a quota of 10 cannot apply any (see McpFunctionProps.reservedConcurrency).
  const reservedConcurrency = stack.variable("reserved_concurrent_executions", {
    type: "number",
    default: null,
    description:
      "Reserved concurrency: caps the function and reserves that much of the account's concurrency. null (default) reserves none, which every account can apply (AWS keeps 100 units unreserved, so an account whose concurrency quota is 10 cannot reserve any). Calls beyond the cap are throttled (429), not queued.",
    validation: [
      rule(
        "var.reserved_concurrent_executions == null ? true : var.reserved_concurrent_executions >= 1",
        "reserved_concurrent_executions must be null or at least 1.",
      ),
    ],
  }).numberValue;
  const provisionedConcurrency = stack.variable("provisioned_concurrent_executions", {
    type: "number",
    default: 0,
    description:
      "Provisioned concurrency on the `live` alias (0 for none). Removes cold starts at a fixed hourly cost; at most reserved_concurrent_executions when that is set. Must be 0 with tenant_isolation (Lambda does not offer both).",
    validation: [
      rule(
        "var.provisioned_concurrent_executions >= 0",
        "provisioned_concurrent_executions must be 0 or more.",
      ),
    ],
  }).numberValue;
  return {
    functionName,
    imageUri,
    architecture,
    memorySize,
    timeout,
    ephemeralStorageSize,
    reservedConcurrency,
    provisionedConcurrency,
  };
}

/** The bearer token's source, for auth_type "token" (the function checks it). */
export function tokenVariables(stack: ModuleStack) {
  const createSecret = stack.variable("create_auth_token_secret", {
    type: "bool",
    default: true,
    description:
      'With auth_type "token" and neither auth_token_secret_arn nor auth_token_ssm_parameter_name set: create a Secrets Manager secret holding a random token.',
  }).booleanValue;
  const secretArn = stack.variable("auth_token_secret_arn", {
    type: "string",
    default: "",
    description:
      'ARN of an existing Secrets Manager secret whose SecretString is the bearer token (auth_type "token"). The function may read this secret only.',
    validation: [
      rule(
        'var.auth_token_secret_arn == "" || can(regex("^arn:aws[a-z-]*:secretsmanager:", var.auth_token_secret_arn))',
        "auth_token_secret_arn must be a Secrets Manager secret ARN.",
      ),
    ],
  }).stringValue;
  const ssmParameterName = stack.variable("auth_token_ssm_parameter_name", {
    type: "string",
    default: "",
    description:
      'Name of an existing SSM SecureString parameter holding the bearer token (auth_type "token"), used when auth_token_secret_arn is empty.',
  }).stringValue;
  const kmsKeyArn = stack.variable("auth_token_kms_key_arn", {
    type: "string",
    default: "",
    description:
      "KMS key of the token's secret or parameter when it is a customer managed key (grants kms:Decrypt on it); also encrypts a created secret.",
  }).stringValue;
  return { createSecret, secretArn, ssmParameterName, kmsKeyArn };
}
