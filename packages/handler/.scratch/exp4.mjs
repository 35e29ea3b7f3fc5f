import { specTypeSchemas, parseJSONRPCMessage } from "@modelcontextprotocol/server";
console.log(Object.keys(specTypeSchemas).filter(k=>/Request$|JSONRPC/.test(k)).join(" "));
const s = specTypeSchemas.CallToolRequest; console.log(typeof s?.["~standard"]?.validate, typeof s?.safeParse);
console.log(JSON.stringify(s["~standard"].validate({method:"tools/call", params:{arguments:{}}})).slice(0,300));
