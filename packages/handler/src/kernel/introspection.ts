/**
 * Python evaluated through `user_expressions`, so listing or inspecting variables leaves no trace in
 * the user's history or namespace. Arguments travel as JSON string literals (always valid Python
 * string literals), never spliced into code, so a variable name cannot inject anything.
 */
const HELPER = String.raw`
import json, reprlib, types
_r = reprlib.Repr()
_r.maxstring = 200
_r.maxother = 200
_r.maxlist = _r.maxtuple = _r.maxdict = _r.maxset = 20

class _Json:
    def __init__(self, text):
        self.text = text
    def __repr__(self):
        return self.text

def _safe(fn, default=None):
    try:
        return fn()
    except Exception:
        return default

def _describe(name, value, full=False):
    d = {"name": name, "type": type(value).__name__, "module": type(value).__module__}
    d["repr"] = _safe(lambda: _r.repr(value), "<unrepresentable>")
    shape = _safe(lambda: getattr(value, "shape", None))
    if shape is not None:
        d["shape"] = _safe(lambda: [int(x) for x in shape], str(shape))
    dtype = _safe(lambda: getattr(value, "dtype", None))
    if dtype is not None:
        d["dtype"] = str(dtype)
    if isinstance(value, (list, tuple, dict, set, str, bytes)):
        d["length"] = len(value)
    if full:
        d["value"] = _safe(lambda: repr(value)[:20000], d["repr"])
        doc = _safe(lambda: type(value).__doc__)
        if isinstance(doc, str):
            d["doc"] = doc.strip()[:1000]
        cols = _safe(lambda: [str(c) for c in value.columns][:200])
        if cols:
            d["columns"] = cols
    return d

ns = get_ipython().user_ns
hidden = get_ipython().user_ns_hidden
if mode == "list":
    items = [
        _describe(k, v) for k, v in list(ns.items())
        if not k.startswith("_") and k not in hidden and k not in ("In", "Out", "exit", "quit", "get_ipython")
        and not isinstance(v, (types.ModuleType, types.FunctionType, type)) or (
            not k.startswith("_") and k not in hidden and isinstance(v, (types.FunctionType, type))
            and getattr(v, "__module__", None) == "__main__")
    ]
    out = _Json(json.dumps({"variables": items}))
elif name not in ns or name in hidden:
    out = _Json(json.dumps({"found": False, "name": name}))
else:
    out = _Json(json.dumps({"found": True, "variable": _describe(name, ns[name], full=True)}))
`;

function call(mode: "list" | "inspect", name: string): string {
  const globals = `{"mode": ${JSON.stringify(mode)}, "name": ${JSON.stringify(name)}, "get_ipython": get_ipython}`;
  return `(lambda g: (exec(${JSON.stringify(HELPER)}, g), g["out"])[1])(${globals})`;
}

export const listVariablesExpression = (): string => call("list", "");
export const inspectVariableExpression = (name: string): string => call("inspect", name);

export interface VariableSummary {
  name: string;
  type: string;
  module: string;
  repr: string;
  shape?: number[] | string;
  dtype?: string;
  length?: number;
  value?: string;
  doc?: string;
  columns?: string[];
}
