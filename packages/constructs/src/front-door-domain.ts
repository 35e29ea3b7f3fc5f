/**
 * Two optional parts of the HTTP API front door that platform teams expect (named as
 * terraform-aws-modules/apigateway-v2 names them):
 *
 * - a custom domain: `aws_apigatewayv2_domain_name` (REGIONAL, TLS 1.2, an ACM certificate of the
 *   same region), the API mapped at its root, and, given a Route 53 zone, an alias record to it;
 *   the front door's URL is then `https://<domain>`;
 * - CORS (`cors_configuration`): API Gateway answers preflight requests itself, before any
 *   authorizer, so browser-based MCP clients can call with `Authorization` and `Mcp-*` headers.
 *
 * Declared in the front door's scope, so the addresses are `<api>_domain`, `<api>_mapping`, ...
 */
import type { Construct } from "constructs";
import { Fn, Op, Token, type IResolvable } from "cdktf";
import type { Apigatewayv2Api } from "@cdktf/provider-aws/lib/apigatewayv2-api/index.js";
import { Apigatewayv2ApiMapping } from "@cdktf/provider-aws/lib/apigatewayv2-api-mapping/index.js";
import { Apigatewayv2DomainName } from "@cdktf/provider-aws/lib/apigatewayv2-domain-name/index.js";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record/index.js";
import { and, isLiteral, isSet, named, NULL, pick, ref, when, type Cond } from "./util.js";

export interface HttpApiDomainOptions {
  /** The custom domain, e.g. mcp.example.com; none when unset. */
  readonly domainName?: string;
  /** ACM certificate for it, in the API's region (required with a domain). */
  readonly certificateArn?: string;
  /** Route 53 hosted zone in which to create the alias record; none when unset. */
  readonly route53ZoneId?: string;
}

export const DOMAIN_NEEDS_CERTIFICATE =
  "domain_name needs domain_name_certificate_arn: an ACM certificate for that name in the API's region.";

export interface ApiDomain {
  readonly enabled: Cond;
  /** https://<domain>. */
  readonly url: string;
  /** What a DNS alias record points to (null without a domain). */
  readonly targetDomainName: string;
  readonly hostedZoneId: string;
}

/** The API the domain maps to: its id, its stage's id, and whether the API exists at all. */
export interface DomainTarget {
  readonly apiId: string;
  readonly stageId: string;
  readonly create?: Cond;
}

/** The domain's resources; returns whether it exists, its URL and its alias target. */
export function httpApiDomain(
  scope: Construct,
  target: DomainTarget,
  options: HttpApiDomainOptions,
  tags?: Record<string, string>,
): ApiDomain {
  const enabled = named(scope, "has_domain", and(target.create ?? true, isSet(options.domainName)));
  const name = options.domainName ?? "";
  const hasCert = isSet(options.certificateArn);
  if (isLiteral(enabled) && enabled && hasCert === false) throw new Error(DOMAIN_NEEDS_CERTIFICATE);
  const domain = when(
    enabled,
    (count) =>
      new Apigatewayv2DomainName(scope, "domain", {
        count,
        domainName: name,
        domainNameConfiguration: {
          certificateArn: options.certificateArn ?? "",
          endpointType: "REGIONAL",
          securityPolicy: "TLS_1_2",
        },
        tags,
        lifecycle: isLiteral(hasCert)
          ? undefined
          : { precondition: [{ condition: hasCert, errorMessage: DOMAIN_NEEDS_CERTIFICATE }] },
      }),
  );
  if (!domain) return { enabled, url: "", targetDomainName: NULL, hostedZoneId: NULL };
  new Apigatewayv2ApiMapping(scope, "mapping", {
    count: domain.count,
    apiId: target.apiId,
    domainName: ref(domain, "id"),
    stage: target.stageId,
  });
  when(
    and(enabled, isSet(options.route53ZoneId)),
    (count) =>
      new Route53Record(scope, "dns", {
        count,
        zoneId: options.route53ZoneId ?? "",
        name,
        type: "A",
        alias: {
          name: ref(domain, "domain_name_configuration[0].target_domain_name"),
          zoneId: ref(domain, "domain_name_configuration[0].hosted_zone_id"),
          evaluateTargetHealth: false,
        },
      }),
  );
  return {
    enabled,
    url: Fn.format("https://%s", [name]),
    targetDomainName: ref(domain, "domain_name_configuration[0].target_domain_name"),
    hostedZoneId: ref(domain, "domain_name_configuration[0].hosted_zone_id"),
  };
}

/** `cors_configuration`, as the HTTP API takes it. */
export interface HttpApiCors {
  readonly allowCredentials?: boolean;
  readonly allowHeaders?: string[];
  readonly allowMethods?: string[];
  readonly allowOrigins?: string[];
  readonly exposeHeaders?: string[];
  readonly maxAge?: number;
}

const CORS_FIELDS = [
  "allow_credentials",
  "allow_headers",
  "allow_methods",
  "allow_origins",
  "expose_headers",
  "max_age",
];

/**
 * CORS on `api`: a literal object becomes the block; a plan-time value (an object or null, e.g. the
 * module's variable) a `dynamic "cors_configuration"` block present when it is not null.
 */
export function httpApiCors(api: Apigatewayv2Api, cors: HttpApiCors | IResolvable | undefined): void {
  if (cors === undefined) return;
  if (!Token.isUnresolved(cors)) {
    api.putCorsConfiguration(cors as HttpApiCors);
    return;
  }
  api.addOverride("dynamic.cors_configuration", {
    for_each: Fn.conditional(Op.eq(cors, Token.nullValue()), [], [cors]),
    content: Object.fromEntries(CORS_FIELDS.map((f) => [f, `\${cors_configuration.value.${f}}`])),
  });
}

/** The front door's base URL: the custom domain's when there is one, else the stage's. */
export function baseUrl(domain: ApiDomain, stageUrl: string): string {
  if (domain.enabled === false) return stageUrl;
  return pick(domain.enabled, domain.url, stageUrl);
}
