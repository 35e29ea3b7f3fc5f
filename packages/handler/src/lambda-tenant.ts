import type { Context } from "aws-lambda";

/**
 * Lambda tenant isolation (TenancyConfig PER_TENANT): each tenant id gets execution environments of
 * its own, so each caller its own kernel and /tmp. The REST API front door sets X-Amz-Tenant-Id from
 * the authorizer's principal; the runtime hands it to us as `context.tenantId`. We still check that
 * it names the caller the event's authorizer established: an environment must never serve a caller
 * that is not its tenant, whatever a misconfigured integration sent.
 * https://docs.aws.amazon.com/lambda/latest/dg/tenant-isolation.html
 */
export function tenantOf(context: Context): string | undefined {
  const tenant = (context as Context & { tenantId?: unknown }).tenantId;
  return typeof tenant === "string" && tenant !== "" ? tenant : undefined;
}

/** The principal part of an identity: the JWT subject, the IAM ARN, the Lambda authorizer principal. */
export function principalOf(identity: string | undefined): string | undefined {
  if (identity === undefined) return undefined;
  if (identity.startsWith("jwt:")) return identity.slice(identity.indexOf("|") + 1);
  const colon = identity.indexOf(":");
  return colon < 0 ? identity : identity.slice(colon + 1);
}

export interface TenancyRules {
  isolated: boolean;
  /** The fixed tenant of the routes that need no caller (/health, the OAuth metadata). */
  openRouteTenant: string | undefined;
}

const OPEN_PATH = /(^|\/)(health|\.well-known\/oauth-protected-resource(\/.*)?)$/;

/** undefined when the environment may serve this request; else the 403 to answer. */
export function checkTenant(
  tenant: string | undefined,
  identity: string | undefined,
  path: string,
  rules: TenancyRules,
): Response | undefined {
  if (tenant === undefined) {
    if (!rules.isolated) return undefined;
    return refusal("The function runs with tenant isolation but the invocation carries no tenant id.");
  }
  if (rules.openRouteTenant !== undefined && tenant === rules.openRouteTenant) {
    // The open routes' shared environment: it never runs anyone's code.
    return OPEN_PATH.test(path)
      ? undefined
      : refusal("This route carries the open routes' tenant id; MCP calls need an authenticated caller.");
  }
  if (principalOf(identity) === tenant) return undefined;
  return refusal(
    "This function runs with tenant isolation, and the request's tenant id does not name the caller its " +
      "authorizer authenticated. The front door must map X-Amz-Tenant-Id from the authorizer's principal " +
      "(context.authorizer.principalId or claims.sub), never from the request.",
  );
}

function refusal(message: string): Response {
  return Response.json({ error: "tenant_mismatch", message }, { status: 403 });
}
