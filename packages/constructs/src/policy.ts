/**
 * Policy checks over a module's Terraform JSON, aligned with Checkov's AWS rules. Each finding names
 * the Checkov rule it follows. Where the modules deliberately differ, the exception is spelled out
 * here and in the module READMEs.
 */
import { DOCUMENTED_SKIPS, type DocumentedSkip } from "./policy-skips.js";
import { OPEN_ROUTES } from "./routes.js";

export { DOCUMENTED_SKIPS, type DocumentedSkip };

type Obj = Record<string, unknown>;
export interface Finding {
  readonly check: string;
  readonly address: string;
  readonly message: string;
}

/**
 * Actions that have no resource-level permissions, so "*" is the only valid resource: ECR's login,
 * the two Describe calls Lambda makes for a function in a VPC (AWS documents them as "*" only), and
 * X-Ray's writes (what Lambda's tracing needs).
 */
export const RESOURCE_STAR_ALLOWED = [
  "ecr:GetAuthorizationToken",
  "ec2:DescribeNetworkInterfaces",
  "ec2:DescribeSubnets",
  "xray:PutTraceSegments",
  "xray:PutTelemetryRecords",
];
/** Routes deliberately left without gateway authorization (/health, the RFC 9728 metadata). */
export { OPEN_ROUTES };

function resources(json: Obj, type: string): [string, Obj][] {
  const all = (json.resource ?? {}) as Record<string, Record<string, Obj>>;
  return Object.entries(all[type] ?? {});
}

function dataSources(json: Obj, type: string): [string, Obj][] {
  const all = (json.data ?? {}) as Record<string, Record<string, Obj>>;
  return Object.entries(all[type] ?? {});
}

function asList<T>(v: unknown): T[] {
  return v === undefined || v === null ? [] : Array.isArray(v) ? (v as T[]) : [v as T];
}

/** The condition `C` of a `count = "${C ? 1 : 0}"`, or undefined. */
function countCondition(r: Obj): string | undefined {
  const m = /^\$\{(.*) \? 1 : 0\}$/s.exec(String(r.count ?? ""));
  return m?.[1];
}

export interface PolicyOptions {
  /**
   * Accept `authorization_type = "NONE"` on the MCP routes: the stack uses auth "token", where the
   * function checks the bearer token (the documented difference from CKV_AWS_309). Modules do not
   * need this: their routes carry an expression that is NONE only for auth_type "token".
   */
  readonly tokenAuthRoutes?: boolean;
  /** Apply these DOCUMENTED_SKIPS rules anyway (e.g. CKV_AWS_115 for a stack that must cap its functions). */
  readonly enforce?: readonly string[];
}

export function checkPolicies(json: Obj, options: PolicyOptions = {}): Finding[] {
  const findings: Finding[] = [];
  const add = (check: string, address: string, message: string) => findings.push({ check, address, message });
  const skipped = (check: string) =>
    DOCUMENTED_SKIPS.some((s) => s.check === check) && !(options.enforce ?? []).includes(check);

  // CKV_AWS_63 / CKV_AWS_355 / CKV_AWS_290 spirit: no wildcard actions, no "*" resources except
  // for actions without resource-level permissions.
  for (const [name, doc] of dataSources(json, "aws_iam_policy_document")) {
    for (const st of asList<Obj>(doc.statement)) {
      // Deny statements (e.g. a bucket's TLS-only policy) may be as broad as they like.
      if (st.effect === "Deny") continue;
      const actions = asList<string>(st.actions);
      const res = asList<string>(st.resources);
      for (const a of actions) {
        if (a.includes("*"))
          add("CKV_AWS_63", `data.aws_iam_policy_document.${name}`, `wildcard action ${a}`);
      }
      if (res.includes("*") && !actions.every((a) => RESOURCE_STAR_ALLOWED.includes(a))) {
        add("CKV_AWS_355", `data.aws_iam_policy_document.${name}`, `resource "*" for ${actions.join(", ")}`);
      }
    }
  }
  for (const type of ["aws_iam_role_policy", "aws_iam_policy"]) {
    for (const [name, r] of resources(json, type)) {
      if (!String(r.policy ?? "").includes("data.aws_iam_policy_document.")) {
        add("CKV_AWS_63", `${type}.${name}`, "policy not built from a checked policy document");
      }
    }
  }
  for (const [name] of resources(json, "aws_iam_role_policy_attachment")) {
    add("CKV_AWS_274", `aws_iam_role_policy_attachment.${name}`, "managed policy attachments are too broad");
  }

  // CKV_AWS_66: log groups keep logs for a set time.
  for (const [name, r] of resources(json, "aws_cloudwatch_log_group")) {
    if (r.retention_in_days === undefined || r.retention_in_days === 0) {
      add("CKV_AWS_66", `aws_cloudwatch_log_group.${name}`, "no retention");
    }
  }

  // CKV_AWS_115: function-level concurrency limit. A documented skip (see DOCUMENTED_SKIPS).
  for (const [name, r] of skipped("CKV_AWS_115") ? [] : resources(json, "aws_lambda_function")) {
    if (r.reserved_concurrent_executions === undefined || r.reserved_concurrent_executions === null) {
      add("CKV_AWS_115", `aws_lambda_function.${name}`, "no reserved concurrency");
    }
  }

  // CKV_AWS_28: DynamoDB point-in-time recovery. CKV_AWS_119 (adapted): encrypted with KMS
  // (server_side_encryption enabled: the AWS managed key, or a customer managed key when given).
  for (const [name, r] of resources(json, "aws_dynamodb_table")) {
    if (asList<Obj>(r.point_in_time_recovery)[0]?.enabled !== true) {
      add("CKV_AWS_28", `aws_dynamodb_table.${name}`, "no point-in-time recovery");
    }
    if (asList<Obj>(r.server_side_encryption)[0]?.enabled !== true) {
      add("CKV_AWS_119", `aws_dynamodb_table.${name}`, "not encrypted with a KMS key");
    }
  }

  // CKV_AWS_364: permissions scoped by source ARN. Exception: a public function URL's two
  // permissions (InvokeFunctionUrl with function_url_auth_type NONE, and InvokeFunction with
  // invoked_via_function_url) have no source; the function checks the token.
  // A function URL's permissions for named principals (AWS_IAM, allowed principals) have no source
  // either: the principal is the scope. CKV_AWS_301 (principal "*") is a documented skip.
  for (const [name, r] of resources(json, "aws_lambda_permission")) {
    const address = `aws_lambda_permission.${name}`;
    if (r.function_url_auth_type === "NONE" && r.action === "lambda:InvokeFunctionUrl") continue;
    if (r.invoked_via_function_url === true && r.action === "lambda:InvokeFunction") continue;
    if (r.function_url_auth_type === "AWS_IAM" && r.principal !== "*") continue;
    if (!r.source_arn) add("CKV_AWS_364", address, "no source_arn");
    if (r.principal === "*") add("CKV_AWS_364", address, 'principal "*"');
  }

  // The other documented skips, applied when enforced: each one's own `fails` test.
  for (const skip of DOCUMENTED_SKIPS) {
    if (!skip.fails || skipped(skip.check)) continue;
    for (const [name, r] of resources(json, skip.resourceType)) {
      if (skip.fails(r)) add(skip.check, `${skip.resourceType}.${name}`, skip.reason);
    }
  }

  // CKV_AWS_76: access logs on API stages.
  for (const [name, r] of resources(json, "aws_apigatewayv2_stage")) {
    const s = r.access_log_settings as Obj | undefined;
    if (!s?.destination_arn || !s.format)
      add("CKV_AWS_76", `aws_apigatewayv2_stage.${name}`, "no access logs");
  }

  // CKV_AWS_309: routes carry an authorization type. Exceptions: OPEN_ROUTES, and the expression
  // that yields NONE only for auth_type "token" (the function checks the bearer token itself).
  for (const [name, r] of resources(json, "aws_apigatewayv2_route")) {
    const t = String(r.authorization_type ?? "NONE");
    if (OPEN_ROUTES.includes(String(r.route_key))) continue;
    const conditional = t.startsWith("${") && t.includes('"JWT"') && t.includes('"AWS_IAM"');
    if (options.tokenAuthRoutes && t === "NONE") continue;
    if (!conditional && !["JWT", "AWS_IAM", "CUSTOM"].includes(t)) {
      add("CKV_AWS_309", `aws_apigatewayv2_route.${name}`, `authorization_type ${t}`);
    }
  }

  // CKV_AWS_51 / CKV_AWS_163: immutable tags, scan on push.
  for (const [name, r] of resources(json, "aws_ecr_repository")) {
    if (r.image_tag_mutability !== "IMMUTABLE")
      add("CKV_AWS_51", `aws_ecr_repository.${name}`, "mutable tags");
    const scan = asList<Obj>(r.image_scanning_configuration)[0];
    if (scan?.scan_on_push !== true) add("CKV_AWS_163", `aws_ecr_repository.${name}`, "no scan on push");
  }

  // CKV_AWS_249: distinct execution and task roles. CKV_AWS_336: read-only root filesystem.
  for (const [name, r] of resources(json, "aws_ecs_task_definition")) {
    if (!r.execution_role_arn || !r.task_role_arn || r.execution_role_arn === r.task_role_arn) {
      add("CKV_AWS_249", `aws_ecs_task_definition.${name}`, "execution and task roles must differ");
    }
    const defs = String(r.container_definitions ?? "");
    if (
      !defs.includes('"readonlyRootFilesystem" = true') &&
      !defs.includes('"readonlyRootFilesystem":true')
    ) {
      add("CKV_AWS_336", `aws_ecs_task_definition.${name}`, "root filesystem not read-only");
    }
  }

  // CKV_AWS_333: no public IP for tasks.
  for (const [name, r] of resources(json, "aws_ecs_service")) {
    const net = asList<Obj>(r.network_configuration)[0];
    if (net?.assign_public_ip !== false) add("CKV_AWS_333", `aws_ecs_service.${name}`, "public IP possible");
  }

  // CKV_AWS_131: ALB drops invalid header fields.
  const albSgRefs = new Set<string>();
  for (const [name, r] of resources(json, "aws_lb")) {
    if (r.drop_invalid_header_fields !== true) add("CKV_AWS_131", `aws_lb.${name}`, "keeps invalid headers");
    for (const sg of asList<string>(r.security_groups))
      albSgRefs.add(sg.replace(/\.id\}$/, "").replace(/^\$\{/, ""));
  }

  // CKV_AWS_2 (adapted): an HTTPS listener exists when a certificate is given, and then the HTTP
  // listener only redirects. A forwarding HTTP listener exists only when the HTTPS one does not.
  // Without any HTTPS listener (no certificate given) plain HTTP is the documented exception.
  const listeners = resources(json, "aws_lb_listener");
  const https = listeners.filter(([, r]) => r.protocol === "HTTPS");
  for (const [name, r] of listeners) {
    if (r.protocol !== "HTTP" || https.length === 0) continue;
    const actions = asList<Obj>(r.default_action);
    if (actions.every((a) => a.type === "redirect")) continue;
    const cond = countCondition(r);
    const ok = https.some(([, h]) => {
      const hc = countCondition(h);
      return hc !== undefined && cond !== undefined && (cond === `!${hc}` || cond === `!(${hc})`);
    });
    if (!ok) add("CKV_AWS_2", `aws_lb_listener.${name}`, "HTTP listener forwards while HTTPS is possible");
  }

  // CKV_AWS_53-56 / CKV2_AWS_6 (public access blocked), CKV_AWS_19/145 (encrypted), CKV_AWS_21
  // (versioned), CKV2_AWS_61 (lifecycle): every bucket has each companion resource.
  const buckets = resources(json, "aws_s3_bucket");
  const companion = (type: string) => resources(json, type).map(([, r]) => String(r.bucket ?? ""));
  for (const [name] of buckets) {
    const refersTo = (b: string) =>
      b.includes(`aws_s3_bucket.${name}.`) || b.includes(`aws_s3_bucket.${name}[`);
    const pab = resources(json, "aws_s3_bucket_public_access_block").find(([, r]) =>
      refersTo(String(r.bucket)),
    );
    const flags = [
      "block_public_acls",
      "block_public_policy",
      "ignore_public_acls",
      "restrict_public_buckets",
    ];
    if (!pab || !flags.every((f) => pab[1][f] === true)) {
      add("CKV_AWS_53", `aws_s3_bucket.${name}`, "public access not fully blocked");
    }
    const needs: [string, string][] = [
      ["aws_s3_bucket_server_side_encryption_configuration", "CKV_AWS_145"],
      ["aws_s3_bucket_versioning", "CKV_AWS_21"],
      ["aws_s3_bucket_lifecycle_configuration", "CKV2_AWS_61"],
      ["aws_s3_bucket_policy", "S3_TLS_ONLY"],
    ];
    for (const [type, check] of needs) {
      if (!companion(type).some(refersTo)) add(check, `aws_s3_bucket.${name}`, `no ${type}`);
    }
  }

  // No security group open to the world, except the ALB's on its listener ports.
  const listenerPorts = new Set(listeners.map(([, r]) => Number(r.port)));
  const isAlbSg = (ref: string) => [...albSgRefs].some((sg) => ref.includes(sg));
  for (const [name, r] of resources(json, "aws_vpc_security_group_ingress_rule")) {
    if (r.referenced_security_group_id) continue;
    const cidr = String(r.cidr_ipv4 ?? r.cidr_ipv6 ?? "");
    const world = cidr === "0.0.0.0/0" || cidr === "::/0" || cidr.startsWith("${");
    if (!world) continue;
    const ports = Number(r.from_port) === Number(r.to_port) ? [Number(r.from_port)] : [];
    if (!isAlbSg(String(r.security_group_id)) || ports.length !== 1 || !listenerPorts.has(ports[0]!)) {
      add("SG_OPEN_WORLD", `aws_vpc_security_group_ingress_rule.${name}`, `open ingress ${cidr}`);
    }
  }
  for (const [name, r] of resources(json, "aws_security_group")) {
    if (r.ingress !== undefined) add("SG_INLINE_RULES", `aws_security_group.${name}`, "use rule resources");
  }
  return findings;
}

/** Every variable has a description and a type; every output a description. */
export function checkInterface(json: Obj): Finding[] {
  const findings: Finding[] = [];
  for (const [name, v] of Object.entries((json.variable ?? {}) as Record<string, Obj>)) {
    if (!v.description)
      findings.push({ check: "VAR_DESCRIPTION", address: `var.${name}`, message: "no description" });
    if (!v.type) findings.push({ check: "VAR_TYPE", address: `var.${name}`, message: "no type" });
    if (!/^[a-z][a-z0-9_]*$/.test(name)) {
      findings.push({ check: "VAR_NAME", address: `var.${name}`, message: "not snake_case" });
    }
  }
  for (const [name, o] of Object.entries((json.output ?? {}) as Record<string, Obj>)) {
    if (!o.description)
      findings.push({ check: "OUT_DESCRIPTION", address: `output.${name}`, message: "no description" });
  }
  return findings;
}

/**
 * DOCUMENTED_SKIPS that apply to the module (it has a resource of the rule's type that would fail
 * the rule) but that its README does not explain in a table row (a line starting with `| CKV_...`).
 */
export function undocumentedSkips(json: Obj, readme: string): Finding[] {
  const applies = (s: DocumentedSkip) =>
    resources(json, s.resourceType).some(([, r]) => !s.fails || s.fails(r));
  return DOCUMENTED_SKIPS.filter(applies)
    .filter((s) => !new RegExp(`^\\|[^|\\n]*\\b${s.check}\\b[^|\\n]*\\|[ \\t]*[^|\\s]`, "m").test(readme))
    .map((s) => ({
      check: s.check,
      address: "README.md",
      message: `no row explaining the skip: ${s.reason}`,
    }));
}
