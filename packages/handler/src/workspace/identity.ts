/**
 * The caller's identity as the front door established it, read from the Lambda event itself (never
 * from a header a client could send). Used to give each caller its own workspace prefix in S3.
 *
 * - HTTP API JWT authorizer: requestContext.authorizer.jwt.claims (iss + sub)
 * - REST API Cognito authorizer: requestContext.authorizer.claims (iss + sub)
 * - IAM auth (HTTP API, Function URL): requestContext.authorizer.iam.userArn; REST: requestContext.identity.userArn
 * - Lambda authorizer: requestContext.authorizer.lambda.sub / principalId (REST: authorizer.principalId)
 */
export function callerIdentity(event: unknown): string | undefined {
  const ctx = get(event, "requestContext");
  const authorizer = get(ctx, "authorizer");
  const claims = get(get(authorizer, "jwt"), "claims") ?? get(authorizer, "claims");
  const sub = str(get(claims, "sub"));
  if (sub) return `jwt:${str(get(claims, "iss")) ?? ""}|${sub}`;
  const iamArn = str(get(get(authorizer, "iam"), "userArn")) ?? str(get(get(ctx, "identity"), "userArn"));
  if (iamArn) return `iam:${iamArn}`;
  const lambda = get(authorizer, "lambda");
  const principal =
    str(get(lambda, "sub")) ?? str(get(lambda, "principalId")) ?? str(get(authorizer, "principalId"));
  if (principal) return `lambda:${principal}`;
  return undefined;
}

function get(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}
