/**
 * Optional parts of the function's configuration that take plan-time values: its VPC and its
 * logging. Each yields what LambdaFunction takes plus the preconditions that stop a plan whose
 * combination Lambda would refuse at apply.
 */
import { Fn, Op, Token, type Precondition } from "cdktf";
import type { LambdaFunctionLoggingConfig } from "@cdktf/provider-aws/lib/lambda-function/index.js";
import { and, isLiteral, not, type Cond } from "./util.js";

export interface LambdaVpcOptions {
  /** `vpc_subnet_ids`: private subnets with a route to the AWS APIs the server uses. */
  readonly subnetIds?: string[];
  /** `vpc_security_group_ids`. */
  readonly securityGroupIds?: string[];
}

export interface LambdaVpc {
  /** The function is in a VPC (both lists given and non-empty). */
  readonly enabled: Cond;
  /** vpc_config, when the lists are literals. */
  readonly config?: { subnetIds: string[]; securityGroupIds: string[] };
  /** `dynamic "vpc_config"`, when they are plan-time values (a block cannot be chosen otherwise). */
  readonly dynamic?: Record<string, unknown>;
  readonly preconditions: Precondition[];
}

/** A list that may be null: non-empty? */
function hasItems(list: string[] | undefined): Cond {
  if (list === undefined) return false;
  if (!Token.isUnresolved(list)) return list.length > 0;
  // length(x == null ? [] : x) >= 1: the conditional inside the call's parentheses, so that the
  // result can be an operand of && (CDKTF does not parenthesize a bare conditional).
  return Op.gte(Fn.lengthOf(Fn.conditional(Op.eq(list, Token.nullValue()), [], list)), 1);
}

export const VPC_PAIR_MESSAGE =
  "vpc_subnet_ids and vpc_security_group_ids go together: give both (the function's VPC) or neither.";

export function lambdaVpc(options: LambdaVpcOptions = {}): LambdaVpc {
  const subnets = hasItems(options.subnetIds);
  const groups = hasItems(options.securityGroupIds);
  if (typeof subnets === "boolean" && typeof groups === "boolean") {
    if (subnets !== groups) throw new Error(VPC_PAIR_MESSAGE);
    return subnets
      ? {
          enabled: true,
          config: { subnetIds: options.subnetIds!, securityGroupIds: options.securityGroupIds! },
          preconditions: [],
        }
      : { enabled: false, preconditions: [] };
  }
  const enabled = and(subnets, groups);
  // Both or neither. (A literal operand of Op.* renders badly when falsy: fold literals here.)
  const paired = isLiteral(subnets)
    ? subnets
      ? groups
      : not(groups)
    : isLiteral(groups)
      ? groups
        ? subnets
        : not(subnets)
      : Op.eq(subnets, groups);
  const preconditions = [{ condition: paired, errorMessage: VPC_PAIR_MESSAGE }];
  if (enabled === false) return { enabled, preconditions };
  return {
    enabled,
    dynamic: {
      for_each: Fn.conditional(enabled, [1], []),
      content: { subnet_ids: options.subnetIds, security_group_ids: options.securityGroupIds },
    },
    preconditions,
  };
}

export interface LambdaLoggingOptions {
  /** "JSON" (default: the handler writes structured lines) or "Text". */
  readonly logFormat?: string;
  /** TRACE, DEBUG, INFO, WARN, ERROR or FATAL; JSON only. Unset: Lambda's default (INFO). */
  readonly applicationLogLevel?: string;
  /** DEBUG, INFO or WARN; JSON only. Unset: Lambda's default (INFO). */
  readonly systemLogLevel?: string;
}

export const APPLICATION_LOG_LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"];
export const SYSTEM_LOG_LEVELS = ["DEBUG", "INFO", "WARN"];
export const LEVELS_NEED_JSON =
  'logging_application_log_level and logging_system_log_level apply to logging_log_format = "JSON" only (Lambda refuses them with "Text").';

export function lambdaLogging(
  logGroup: string,
  options: LambdaLoggingOptions = {},
): { config: LambdaFunctionLoggingConfig; preconditions: Precondition[] } {
  const format = options.logFormat ?? "JSON";
  const app = options.applicationLogLevel;
  const sys = options.systemLogLevel;
  const config = { logFormat: format, logGroup, applicationLogLevel: app, systemLogLevel: sys };
  const values = [format, app, sys].filter((v): v is string => v !== undefined);
  if (!values.some((v) => Token.isUnresolved(v))) {
    if (format !== "JSON" && (app !== undefined || sys !== undefined)) throw new Error(LEVELS_NEED_JSON);
    return { config, preconditions: [] };
  }
  const unset = (v: string | undefined) => (v === undefined ? true : Op.eq(v, Token.nullValue()));
  const condition = Op.or(Op.eq(format, "JSON"), Op.and(unset(app), unset(sys)));
  return { config, preconditions: [{ condition, errorMessage: LEVELS_NEED_JSON }] };
}
