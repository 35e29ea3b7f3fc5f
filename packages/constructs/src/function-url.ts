/**
 * The optional Lambda function URL on the `live` alias, for calls longer than an API Gateway
 * integration allows, and the resource policy it needs. Since October 2025 a function URL needs two
 * statements per caller: `lambda:InvokeFunctionUrl` (with the URL's auth type) and
 * `lambda:InvokeFunction` limited to calls that come through the URL (`invoked_via_function_url`,
 * AWS provider >= 6.29; the prebuilt bindings predate it, hence the override).
 *
 * - "NONE": both statements for principal "*" (public; only with token auth, where the function
 *   checks the token).
 * - "AWS_IAM": both statements for each of `allowedPrincipals` (account ids or IAM ARNs, typically
 *   of other accounts). Without any, only identities of this account whose own IAM policy allows
 *   both actions on the alias can call the URL: a resource policy is what admits other accounts.
 *
 * Declared in the front door's scope, so the addresses stay `<api>_url`, `<api>_invoke-from-url`...
 */
import type { Construct } from "constructs";
import { Fn, Op, TerraformCount, Token } from "cdktf";
import { LambdaFunctionUrl } from "@cdktf/provider-aws/lib/lambda-function-url/index.js";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission/index.js";
import type { McpFunction } from "./function.js";
import { and, eq, NULL, pick, ref, when, type Cond } from "./util.js";

export interface FunctionUrlProps {
  readonly fn: McpFunction;
  /** The front door's auth type: "NONE" is allowed only with "token". */
  readonly authType: string;
  readonly create: Cond;
  /** "AWS_IAM" (default) or "NONE". */
  readonly authorizationType?: string;
  /** With AWS_IAM: principals (account ids or IAM ARNs) the resource policy admits. */
  readonly allowedPrincipals?: string[];
  /** "BUFFERED" (default) or "RESPONSE_STREAM". */
  readonly invokeMode?: string;
}

/** An IAM principal a resource policy can name: an account id, or a root, role or user ARN. */
export const URL_PRINCIPAL_PATTERN = "^([0-9]{12}|arn:aws[a-z-]*:iam::[0-9]{12}:(root|role/.+|user/.+))$";

export function functionUrl(
  scope: Construct,
  props: FunctionUrlProps,
): { url?: LambdaFunctionUrl; value: string } {
  const { fn, authType, create } = props;
  const urlAuth = props.authorizationType ?? "AWS_IAM";
  if (!Token.isUnresolved(urlAuth) && !Token.isUnresolved(authType)) {
    if (create === true && urlAuth === "NONE" && authType !== "token") {
      throw new Error('functionUrlAuthType "NONE" is only allowed with authType "token"');
    }
  }
  const url = when(
    create,
    (count) =>
      new LambdaFunctionUrl(scope, "url", {
        count,
        functionName: fn.function.functionName,
        qualifier: fn.alias.name,
        authorizationType: urlAuth,
        invokeMode: props.invokeMode ?? "BUFFERED",
        lifecycle:
          Token.isUnresolved(urlAuth) || Token.isUnresolved(authType)
            ? {
                precondition: [
                  {
                    condition: Op.or(Op.eq(authType, "token"), Op.eq(urlAuth, "AWS_IAM")),
                    errorMessage:
                      'A function URL with authorization "NONE" bypasses the gateway: use it only with auth_type "token" (the function checks the token).',
                  },
                ],
              }
            : undefined,
      }),
  );
  const target = { functionName: fn.function.functionName, qualifier: fn.alias.name };

  const publicUrl = and(create, eq(urlAuth, "NONE"));
  when(
    publicUrl,
    (count) =>
      new LambdaPermission(scope, "invoke-from-url", {
        count,
        statementId: "AllowPublicFunctionUrl",
        action: "lambda:InvokeFunctionUrl",
        ...target,
        principal: "*",
        functionUrlAuthType: "NONE",
      }),
  );
  when(publicUrl, (count) => {
    const p = new LambdaPermission(scope, "invoke-via-url", {
      count,
      statementId: "AllowPublicFunctionUrlInvoke",
      action: "lambda:InvokeFunction",
      ...target,
      principal: "*",
    });
    p.addOverride("invoked_via_function_url", true);
    return p;
  });

  const principals = props.allowedPrincipals;
  const iamUrl = and(create, eq(urlAuth, "AWS_IAM"));
  if (principals !== undefined && iamUrl !== false) {
    const n = Token.isUnresolved(principals) ? Fn.lengthOf(principals) : principals.length;
    const count = () => TerraformCount.of(Token.asNumber(pick(iamUrl, n, 0)));
    const urlCount = count();
    new LambdaPermission(scope, "invoke-from-url-iam", {
      count: urlCount,
      statementId: `AllowFunctionUrl${Token.asString(urlCount.index)}`,
      action: "lambda:InvokeFunctionUrl",
      ...target,
      principal: Fn.element(principals, Token.asNumber(urlCount.index)),
      functionUrlAuthType: "AWS_IAM",
    });
    const invokeCount = count();
    const invoke = new LambdaPermission(scope, "invoke-via-url-iam", {
      count: invokeCount,
      statementId: `AllowFunctionUrlInvoke${Token.asString(invokeCount.index)}`,
      action: "lambda:InvokeFunction",
      ...target,
      principal: Fn.element(principals, Token.asNumber(invokeCount.index)),
    });
    invoke.addOverride("invoked_via_function_url", true);
  }
  return { url, value: url ? ref(url, "function_url") : NULL };
}
