/**
 * The checkpoint agent: Python that lives in the kernel as the module _jmcp_session (in
 * sys.modules, never in the caller's namespace). agent.ts defines it and calls it. Split by concern:
 * this file holds the shared state and the change tracking (a post_run_cell hook); the others what
 * is in the namespace and how it is pickled, the checkpoint, and the restore.
 */
import { CHECKPOINT_PY } from "./agent-python-checkpoint.js";
import { PICKLE_PY } from "./agent-python-pickle.js";
import { RESTORE_PY } from "./agent-python-restore.js";

export const AGENT_MODULE = "_jmcp_session";
/** Bumped whenever the Python changes: a kernel holding another version gets this one instead. */
export const AGENT_VERSION = 1;

const COMMON_PY = String.raw`
import ast, hashlib, io, json, os, pickle, re, subprocess, sys, tempfile, time, types

VERSION = ${AGENT_VERSION}
_NS_PID = "\x00ns"  # a persistent id no variable name can take: the user namespace itself
_HIDDEN = frozenset(("In", "Out", "exit", "quit", "get_ipython"))
# Builtins through which code can rebind any global without naming it (vars() and locals() only
# at a cell's top level, where they are the globals).
_DYNAMIC = frozenset(("exec", "eval", "globals"))
_DYNAMIC_TOP = frozenset(("vars", "locals"))
_ATOMS = frozenset((int, float, complex, bool, str, bytes, type(None)))
_FILE_RE = re.compile(r"^[0-9a-f]{64}\.pkl$")
# Line and cell magics that cannot rebind or mutate user variables beyond names in their arguments.
_BENIGN_MAGICS = frozenset(
    "time timeit prun capture matplotlib pip conda cd pwd ls env who whos who_ls lsmagic history "
    "config precision pdoc pinfo pinfo2 psource pfile pdef page colors xmode bash sh script html "
    "javascript js latex markdown svg writefile file pylab".split()
)


class _Json:
    """Renders as JSON: user_expressions hands back repr(), and this repr is the JSON text."""

    __slots__ = ("text",)

    def __init__(self, value):
        self.text = json.dumps(value)

    def __repr__(self):
        return self.text


class _State:
    def __init__(self):
        self.dirty = set()  # names cells may have changed since the baseline
        self.all_dirty = False  # a cell we could not read: trust no baseline
        # baseline: file -> {"names", "groups": [(names, oid, fingerprint)], "refs": {name: oid}, "sha", "bytes"}
        self.files = {}
        self.bad = {}  # names key -> (oid, fp, kind, reason, max_bytes): skipped/unpicklable, unchanged since
        self.default_path = None


_state = _State()
_ip = None


def _shell():
    global _ip
    if _ip is None:
        from IPython import get_ipython

        _ip = get_ipython()
    return _ip


def _tname(t):
    mod = getattr(t, "__module__", None)
    qn = getattr(t, "__qualname__", None) or getattr(t, "__name__", "?")
    return qn if mod in (None, "builtins") else f"{mod}.{qn}"


def _human(n):
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


def _short(err):
    text = f"{type(err).__name__}: {err}"
    return text if len(text) <= 300 else text[:297] + "..."


# ---- change detection: the post_run_cell hook ------------------------------------------------


def _names_in_source(src, out):
    """Names a cell mentions (bound, loaded, deleted, declared global); False if it cannot be read."""
    # IPython runs top-level await (autoawait): parse the cell the way it compiles it.
    tree = compile(src, "<cell>", "exec", ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    ok = True
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            out.add(node.id)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            out.update(node.names)
        elif isinstance(node, ast.alias):
            out.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            out.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            out.add(node.rest)
        elif isinstance(node, ast.Call):
            ok = _magic_call(node, out) and ok
    return ok


def _magic_call(node, out):
    """IPython turns %magics into get_ipython().run_line_magic(name, line): read their arguments too."""
    f = node.func
    if not (isinstance(f, ast.Attribute) and f.attr in ("run_line_magic", "run_cell_magic")):
        return True
    if not node.args or not isinstance(node.args[0], ast.Constant):
        return False
    ok = node.args[0].value in _BENIGN_MAGICS
    for arg in node.args[1:]:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            # Python bodies (%%time, %%capture) are parsed; anything else gives its identifiers.
            out.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", arg.value))
            try:
                ok = _names_in_source(_shell().transform_cell(arg.value), out) and ok
            except Exception:
                pass
    return ok


def _code_names(code, out, seen):
    if id(code) in seen:
        return
    seen.add(id(code))
    out.update(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _code_names(const, out, seen)


def _functions_of(value, ns):
    """The user-defined functions behind a value: itself, its methods, what it wraps or closes over."""
    found = []
    todo = [value]
    seen = set()
    while todo:
        v = todo.pop()
        if id(v) in seen:
            continue
        seen.add(id(v))
        t = type(v)
        if t is types.FunctionType:
            if v.__globals__ is ns:
                found.append(v)
                for cell in v.__closure__ or ():
                    try:
                        todo.append(cell.cell_contents)
                    except ValueError:
                        pass
            wrapped = v.__dict__.get("__wrapped__")
            if wrapped is not None:
                todo.append(wrapped)
        elif t is types.MethodType:
            todo.append(v.__func__)
        elif t in (staticmethod, classmethod):
            todo.append(v.__func__)
        elif t is property:
            todo.extend(x for x in (v.fget, v.fset, v.fdel) if x is not None)
        elif _is_user_class(v):
            for base in v.__mro__:
                if _is_user_class(base):
                    todo.extend(base.__dict__.values())
        elif getattr(t, "__module__", None) == "functools" and t.__name__ in ("partial", "_lru_cache_wrapper"):
            todo.append(getattr(v, "func", None) or getattr(v, "__wrapped__", None))
        elif _is_user_class(t):
            todo.append(t)
    return found


def _is_user_class(v):
    return isinstance(v, type) and type.__dict__["__module__"].__get__(v) == "__main__"


def _expand(names, ns):
    """Adds, transitively, the global names of user-defined functions (and methods) the names reach."""
    out = set(names)
    todo = list(names)
    seen_code = set()
    while todo:
        name = todo.pop()
        if name not in ns:
            continue
        for fn in _functions_of(ns[name], ns):
            found = set()
            _code_names(fn.__code__, found, seen_code)
            for n in found - out:
                out.add(n)
                todo.append(n)
    return out


def _post_run_cell(result):
    # Never raises: an error here would be printed under the caller's cell.
    try:
        ip = _shell()
        names = set()
        raw = result.info.raw_cell
        try:
            # Plain Python is what IPython runs as it is; transforming (magics, !shell) costs more.
            ok = _names_in_source(raw, names)
        except SyntaxError:
            ok = _names_in_source(ip.transform_cell(raw), names)
        ns = ip.user_ns
        ok = ok and not any(n in _DYNAMIC_TOP and n not in ns for n in names)
        names = _expand(names, ns)
        _state.dirty |= names
        if not ok or any(n in _DYNAMIC and n not in ns for n in names):
            _state.all_dirty = True
    except SyntaxError:
        # A cell IPython could not compile never ran; one it could, we cannot read.
        if getattr(result, "error_before_exec", None) is None:
            _state.all_dirty = True
    except BaseException:
        _state.all_dirty = True


def dirty(_args):
    return _Json({"names": sorted(_state.dirty), "all": _state.all_dirty})


def run(version, op, args):
    """The one entry point: refuses to serve a server that expects another version of the agent."""
    if version != VERSION:
        raise ImportError(f"_jmcp_session: wrong version {VERSION}, wanted {version}")
    return {"checkpoint": checkpoint, "restore": restore, "dirty": dirty, "ping": _ping}[op](args)


def _ping(_args):
    return _Json({"version": VERSION})


def _install(old):
    """Replaces an older agent's hook (and starts from no baseline) or installs the first one."""
    events = _shell().events
    if old is not None:
        try:
            events.unregister("post_run_cell", old._post_run_cell)
        except Exception:
            pass
    events.register("post_run_cell", _post_run_cell)
`;

export const AGENT_SOURCE = [COMMON_PY, PICKLE_PY, CHECKPOINT_PY, RESTORE_PY].join("\n\n");
