/**
 * @jupyter-mcp/event-adapter/testing: realistic Lambda events for tests (this package's and the
 * handler's end-to-end tests), a fake Lambda context, and a decoder from Lambda results back to Fetch
 * Responses.
 */
export type { RequestSpec } from "./spec.js";
export { DEFAULT_REQUEST_ID, DEFAULT_SOURCE_IP } from "./spec.js";
export {
  ACCOUNT_ID,
  FUNCTION_URL_ID,
  HTTP_API_ID,
  HTTP_EVENT_SHAPES,
  REGION,
  REST_API_ID,
  TARGET_GROUP_ARN,
  albEvent,
  eventFor,
  functionUrlEvent,
  httpApiV2Event,
  restApiV1Event,
  scheduledRuleEvent,
  schedulerWarmerEvent,
  warmupPluginEvent,
  type AlbSpec,
  type HttpEventShape,
} from "./events.js";
export { lambdaContext, resultToResponse } from "./result.js";
