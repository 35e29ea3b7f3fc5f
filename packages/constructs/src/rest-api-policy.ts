/**
 * Policy checks over a module's Terraform JSON for the REST API resources, in the manner of
 * policy.ts (whose checks cover the HTTP API, Lambda, IAM, S3 and the rest): each finding names the
 * Checkov rule it follows, or a rule of ours where Checkov has none (the tenant id's source).
 * A module with a REST API runs both: `[...checkPolicies(json), ...checkRestApiPolicies(json)]`.
 */
import type { Finding } from "./policy.js";
import { REST_OPEN_ROUTES, TENANT_HEADER } from "./rest-api-routes.js";

type Obj = Record<string, unknown>;

export interface RestApiPolicyOptions {
  /** Accept `authorization = "NONE"` on the MCP methods (auth "token": the function checks the token). */
  readonly tokenAuthRoutes?: boolean;
}

function resources(json: Obj, type: string): [string, Obj][] {
  const all = (json.resource ?? {}) as Record<string, Record<string, Obj>>;
  return Object.entries(all[type] ?? {});
}

/** The path of each `aws_api_gateway_resource` (by name), from path_part and parent_id references. */
function resourcePaths(json: Obj): Map<string, string> {
  const byName = new Map(resources(json, "aws_api_gateway_resource"));
  const paths = new Map<string, string>();
  const pathOf = (name: string, depth = 0): string => {
    const known = paths.get(name);
    if (known !== undefined) return known;
    const r = byName.get(name);
    if (!r || depth > 20) return "?";
    const parent = /aws_api_gateway_resource\.([A-Za-z0-9_-]+)\.id/.exec(String(r.parent_id))?.[1];
    const path = `${parent ? pathOf(parent, depth + 1) : ""}/${String(r.path_part)}`;
    paths.set(name, path);
    return path;
  };
  for (const name of byName.keys()) pathOf(name);
  return paths;
}

/** "GET /health" for a method, from its http_method and resource_id (the root when not a resource). */
function routeKeyOf(method: Obj, paths: Map<string, string>): string {
  const res = /aws_api_gateway_resource\.([A-Za-z0-9_-]+)\.id/.exec(String(method.resource_id))?.[1];
  return `${String(method.http_method)} ${res ? (paths.get(res) ?? "?") : "/"}`;
}

export function checkRestApiPolicies(json: Obj, options: RestApiPolicyOptions = {}): Finding[] {
  const findings: Finding[] = [];
  const add = (check: string, address: string, message: string) => findings.push({ check, address, message });

  // CKV_AWS_76: access logs on REST API stages.
  for (const [name, r] of resources(json, "aws_api_gateway_stage")) {
    const s = r.access_log_settings as Obj | undefined;
    if (!s?.destination_arn || !s.format)
      add("CKV_AWS_76", `aws_api_gateway_stage.${name}`, "no access logs");
  }

  // CKV2_AWS_4 (adapted): every stage has method settings that state a logging level. Its value
  // is the user's: ERROR/INFO need the account's CloudWatch role (documented in the README).
  const settings = resources(json, "aws_api_gateway_method_settings");
  for (const [name] of resources(json, "aws_api_gateway_stage")) {
    const covered = settings.some(
      ([, m]) =>
        String(m.stage_name).includes(`aws_api_gateway_stage.${name}.`) &&
        (m.settings as Obj | undefined)?.logging_level !== undefined,
    );
    if (!covered)
      add("CKV2_AWS_4", `aws_api_gateway_stage.${name}`, "no method settings with a logging level");
  }

  // CKV_AWS_217: deployments are created before the old one is destroyed.
  for (const [name, r] of resources(json, "aws_api_gateway_deployment")) {
    if ((r.lifecycle as Obj | undefined)?.create_before_destroy !== true) {
      add("CKV_AWS_217", `aws_api_gateway_deployment.${name}`, "no create_before_destroy");
    }
  }

  // CKV_AWS_59: methods carry an authorization. Exceptions: the open routes, and the expression
  // that yields NONE only for auth_type "token" (the function checks the bearer token itself).
  const paths = resourcePaths(json);
  for (const [name, r] of resources(json, "aws_api_gateway_method")) {
    const t = String(r.authorization ?? "NONE");
    if (REST_OPEN_ROUTES.includes(routeKeyOf(r, paths))) continue;
    if (options.tokenAuthRoutes && t === "NONE") continue;
    const conditional =
      t.startsWith("${") && t.includes('"AWS_IAM"') && /"(COGNITO_USER_POOLS|CUSTOM)"/.test(t);
    if (!conditional && !["AWS_IAM", "COGNITO_USER_POOLS", "CUSTOM"].includes(t)) {
      add("CKV_AWS_59", `aws_api_gateway_method.${name}`, `authorization ${t}`);
    }
    // Declaring the tenant header as a method parameter is the first step of mapping it from the client.
    if (Object.keys((r.request_parameters ?? {}) as Obj).some((k) => /x-amz-tenant-id/i.test(k))) {
      add(
        "TENANT_FROM_CLIENT",
        `aws_api_gateway_method.${name}`,
        "X-Amz-Tenant-Id is a method request parameter",
      );
    }
  }

  for (const [name, r] of resources(json, "aws_api_gateway_integration")) {
    const address = `aws_api_gateway_integration.${name}`;
    // The tenant id is the authenticated principal (context.*) or a fixed value, never what the
    // client sends (method.request.*) nor a stage variable.
    const params = r.request_parameters;
    const text = typeof params === "string" ? params : JSON.stringify(params ?? {});
    if (text.includes("X-Amz-Tenant-Id")) {
      const sources =
        typeof params === "string"
          ? [params]
          : Object.entries(params as Obj)
              .filter(([k]) => k === TENANT_HEADER)
              .map(([, v]) => String(v));
      for (const source of sources) {
        const fromClient = /method\.request\.|stageVariables\./.test(source);
        const allowed =
          source.startsWith("${") || /^context\.[A-Za-z.]+$/.test(source) || /^'[^']+'$/.test(source);
        if (fromClient || !allowed) add("TENANT_FROM_CLIENT", address, `tenant id from ${source}`);
      }
    }
    // A streaming URI with a buffered transfer mode, or the reverse, fails at invoke time.
    const streamingUri = String(r.uri ?? "").includes("/response-streaming-invocations");
    if (streamingUri !== (r.response_transfer_mode === "STREAM")) {
      add("REST_STREAM_MODE", address, "response_transfer_mode and the invocation URI disagree");
    }
  }
  return findings;
}
