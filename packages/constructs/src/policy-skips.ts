/**
 * Checkov rules the modules deliberately do not follow, each with the reason their READMEs give.
 * policy.ts applies them only when asked (`enforce`), and the module contract requires a README row
 * for each that applies to the module (`undocumentedSkips`).
 */

type Obj = Record<string, unknown>;

export interface DocumentedSkip {
  readonly check: string;
  /** The resource type the rule is about: a module with such a resource must explain the skip. */
  readonly resourceType: string;
  /** Narrows it: only modules in which one of those resources would fail the rule. */
  readonly fails?: (resource: Obj) => boolean;
  readonly reason: string;
}

/**
 * Checkov rules the modules deliberately do not follow. `checkPolicies` does not apply them unless
 * asked (`enforce`), and every module with a resource of the rule's type must explain the skip in a
 * row of its README's table of deliberate differences (`undocumentedSkips`, in the module
 * contract), so the exception is stated where users read it, never silently.
 */
export const DOCUMENTED_SKIPS: readonly DocumentedSkip[] = [
  {
    check: "CKV_AWS_115",
    resourceType: "aws_lambda_function",
    reason:
      "No reserved concurrency by default: AWS keeps 100 units of an account's concurrency unreserved, so in accounts with a concurrency quota of 10 (new accounts) any reservation fails to apply (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html). Set reserved_concurrent_executions to cap the function.",
  },
  {
    check: "CKV_AWS_338",
    resourceType: "aws_cloudwatch_log_group",
    fails: (r) => !(typeof r.retention_in_days === "number" && r.retention_in_days >= 365),
    reason:
      "Log retention defaults to 30 days, not a year: the logs are operational (a server's), and cloudwatch_logs_retention_in_days sets any value CloudWatch accepts.",
  },
  {
    check: "CKV_AWS_149",
    resourceType: "aws_secretsmanager_secret",
    fails: (r) => !isLiteralString(r.kms_key_id),
    reason:
      "Created secrets use the AWS managed key aws/secretsmanager unless a customer managed key is given (auth_token_kms_key_arn, checkpoint_key_kms_key_arn).",
  },
  {
    check: "CKV_AWS_301",
    resourceType: "aws_lambda_permission",
    fails: (r) => r.principal === "*",
    reason:
      'Only the public function URL (function_url_authorization_type = "NONE", allowed with token auth only) admits principal "*", for calls through the URL only; the function checks the bearer token.',
  },
  {
    check: "CKV_AWS_378",
    resourceType: "aws_lb_target_group",
    fails: (r) => r.protocol === "HTTP",
    reason:
      "The ALB ends TLS and forwards to the tasks over HTTP inside the VPC, where only the ALB's security group may reach them; the server has no certificate of its own.",
  },
  {
    check: "CKV2_AWS_28",
    resourceType: "aws_lb",
    fails: (r) => r.internal !== true,
    reason:
      "No WAF web ACL is created: associate your own (aws_wafv2_web_acl_association with alb_arn), or set internal = true.",
  },
  {
    check: "CKV_AWS_297",
    resourceType: "aws_scheduler_schedule",
    fails: (r) => !isLiteralString(r.kms_key_arn),
    reason:
      "The schedules use an AWS owned key unless kms_key_arn is given; their payload is a keep-warm ping, not data.",
  },
];

/** A set string argument: a literal, or an expression (which may still yield null). */
function isLiteralString(v: unknown): boolean {
  return typeof v === "string" && v !== "" && !v.startsWith("${");
}
