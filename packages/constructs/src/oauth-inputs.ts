/**
 * The module inputs for JWTs the server checks itself (MCP_JWT_VALIDATION=server): where no API
 * Gateway authorizer stands in front (a Lambda function URL, the ALB of the Fargate module).
 */
import { optionalString } from "./module-inputs.js";
import { rule, type ModuleStack } from "./module-stack.js";
import { isSet, type Cond } from "./util.js";

export interface OidcInputs {
  readonly issuer: string;
  readonly audience: string;
  readonly scopes: string[];
  /** Whether oidc_issuer is set (for the token precondition: JWT callers only). */
  readonly issuerSet: Cond;
}

/** oidc_issuer, oidc_audience, oidc_scopes; `where` says which door the JWTs come through. */
export function oidcVariables(stack: ModuleStack, where: string): OidcInputs {
  const issuer = optionalString(stack, "oidc_issuer", {
    description: `OIDC issuer whose JWTs (Authorization: Bearer) the server accepts and checks itself, with the issuer's JWKS (${where}); exactly the tokens' iss claim (Cognito: https://cognito-idp.REGION.amazonaws.com/POOL_ID; Auth0's ends with /). Turns on the RFC 9728 metadata at /.well-known/oauth-protected-resource[/mcp]. null: no JWTs.`,
    pattern: "^https://",
    message: "oidc_issuer must be an https:// URL.",
  });
  const audience = optionalString(stack, "oidc_audience", {
    description:
      "With oidc_issuer: the audience a JWT must carry in aud (a token without aud is matched on client_id, like Cognito access tokens). null: not checked, so any token of the issuer is accepted: set it.",
  });
  const scopes = stack.variable("oidc_scopes", {
    type: "list(string)",
    default: [],
    nullable: false,
    description:
      "With oidc_issuer: scopes advertised to MCP clients (metadata and 401); a JWT needs at least one of them. Empty: none required.",
    validation: [
      rule(
        'alltrue([for s in var.oidc_scopes : can(regex("^[\\\\x21\\\\x23-\\\\x5B\\\\x5D-\\\\x7E]+$", s))])',
        "oidc_scopes must be OAuth scope tokens (printable ASCII without spaces, quotes or backslashes).",
      ),
    ],
  }).listValue;
  return {
    issuer,
    audience,
    scopes,
    issuerSet: isSet(issuer),
  };
}
