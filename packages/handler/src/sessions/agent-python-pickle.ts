/**
 * The agent's view of the namespace (variables, imports, fingerprints) and its picklers: the C
 * pickler for plain data, dill for what only dill can write, both writing another variable's object
 * as a reference to its name. Part of the agent's Python (agent-python.ts).
 */
export const PICKLE_PY = String.raw`
# ---- what is in the namespace ----------------------------------------------------------------


def _locate(v):
    """(module, qualname) if v is importable by that name from an already imported module."""
    mod = getattr(v, "__module__", None)
    qn = getattr(v, "__qualname__", None)
    if not isinstance(mod, str) or not isinstance(qn, str) or mod == "__main__" or "<" in qn:
        return None
    found = sys.modules.get(mod)
    try:
        for part in qn.split("."):
            found = getattr(found, part)
    except Exception:
        return None
    return (mod, qn) if found is v else None


def _namespace():
    """User variables (get_variables' filter) and imports (modules, importable functions/classes)."""
    ip = _shell()
    hidden = ip.user_ns_hidden
    variables, imports, odd = {}, [], []
    for name, v in list(ip.user_ns.items()):
        if not isinstance(name, str) or name.startswith("_") or name in _HIDDEN or name in hidden:
            continue
        if isinstance(v, types.ModuleType):
            imports.append({"alias": name, "module": v.__name__})
            continue
        if isinstance(v, (types.FunctionType, types.BuiltinFunctionType, type)):
            where = _locate(v)
            if where is not None:
                imports.append({"alias": name, "module": where[0], "name": where[1]})
                continue
        if not name.isidentifier():
            odd.append(name)
            continue
        variables[name] = v
    return variables, imports, odd


def _fingerprint(v):
    """Cheap evidence that an object with a remembered id is still the same, unchanged one."""
    t = type(v)
    try:
        if t in _ATOMS:
            return (id(t), hash(v))
        if t in (list, dict, set, frozenset, tuple, bytearray):
            return (id(t), len(v))
        np = sys.modules.get("numpy")
        if np is not None and isinstance(v, np.ndarray):
            return (id(t), v.__array_interface__["data"][0], v.shape, v.strides, v.dtype.str)
        pd = sys.modules.get("pandas")
        if pd is not None and isinstance(v, (pd.DataFrame, pd.Series)):
            return (id(t), v.shape, id(object.__getattribute__(v, "_mgr")))
        if t is types.FunctionType:
            return (id(t), id(v.__code__), id(v.__defaults__), id(v.__closure__))
    except Exception:
        pass
    return (id(t),)


def _min_bytes(v):
    """A lower bound of v's pickle size, known without pickling (so a huge array is never copied)."""
    t = type(v)
    if t in (str, bytes, bytearray):
        return len(v)
    np = sys.modules.get("numpy")
    if np is not None and isinstance(v, np.ndarray) and not v.dtype.hasobject:
        return int(v.nbytes)
    return 0


def _default_sys_path():
    """sys.path beyond what a fresh interpreter starts with (install_package's directory, a
    caller's sys.path.append); the fresh interpreter's list is computed once per kernel."""
    if _state.default_path is None:
        try:
            out = subprocess.run(
                [sys.executable, "-c", "import sys, json; print(json.dumps(sys.path))"],
                stdin=subprocess.DEVNULL, capture_output=True, timeout=20, check=True,
            ).stdout
            fresh = json.loads(out)
        except Exception:
            import site

            fresh = [""] + [p for p in sys.path if p.startswith(sys.base_prefix)] + site.getsitepackages()
        default = set(fresh) | {""}
        # python -m ipykernel_launcher puts its launch directory where -c puts "": the entry just
        # before the fresh interpreter's own run of entries.
        tail = fresh[1:3]
        for i in range(1, len(sys.path)):
            if tail and sys.path[i : i + len(tail)] == tail:
                default.add(sys.path[i - 1])
                break
        _state.default_path = default
    return [p for p in sys.path if p not in _state.default_path]


class _TooBig(Exception):
    pass


class _OutOfTime(Exception):
    pass


class _Refused(Exception):
    pass


class _NeedDill(Exception):
    pass


class _SinkError(Exception):
    """Writing the file failed (disk full...): the checkpoint fails, not the variable."""


def _refused_kinds():
    """What is tied to this process: dill would pickle some (a file by its name, a lock as a new
    one), but what a restore made of them would not be the same thing, so they are refused."""
    import socket, threading, _thread

    locks = (type(threading.Lock()), type(threading.RLock()), _thread.LockType)
    return (
        ((io.BytesIO, io.StringIO), None),
        ((socket.socket,), "an open socket; reconnect after a restore"),
        ((io.IOBase,), "an open file; reopen it after a restore"),
        ((threading.Thread,), "a thread; start it again after a restore"),
        (locks, "a lock, tied to this process's threads"),
        ((types.GeneratorType, types.CoroutineType, types.AsyncGeneratorType),
         "a running generator or coroutine, whose position cannot be saved"),
        ((types.FrameType, types.TracebackType), "a stack frame or traceback of this process"),
    )


_REFUSED = _refused_kinds()
_refused_cache = {}


def _refusal(t):
    """Why objects of type t are never checkpointed, or None."""
    if t not in _refused_cache:
        _refused_cache[t] = next((why for bases, why in _REFUSED if issubclass(t, bases)), None)
    return _refused_cache[t]


class _Sink:
    """The pickle's file: counts, hashes and writes as it goes, and stops a pickle past the limit."""

    def __init__(self, path, limit, deadline):
        self.f = open(path, "wb")
        self.limit, self.deadline = limit, deadline
        self.reset()

    def reset(self):
        self.f.seek(0)
        self.f.truncate()
        self.h, self.n = hashlib.sha256(), 0

    def write(self, b):
        # A PickleBuffer (an array's memory, written in place) may be Fortran-ordered: take its raw bytes.
        m = b.raw() if isinstance(b, pickle.PickleBuffer) else memoryview(b).cast("B")
        self.n += m.nbytes
        if self.n > self.limit:
            raise _TooBig(self.n)
        if time.monotonic() > self.deadline:
            raise _OutOfTime()
        self.h.update(m)
        try:
            self.f.write(m)
        except OSError as e:
            raise _SinkError(f"could not write {self.f.name}: {e}") from e
        return m.nbytes


class _Refs:
    """Shared by both picklers: another variable's object is written as a reference to its name."""

    def _setup(self, pid_of, own, ns):
        self.pid_of, self.own, self.ns, self.refs = pid_of, own, ns, {}

    def persistent_id(self, obj):
        t = type(obj)
        if t in _ATOMS:
            return None
        i = id(obj)
        name = self.pid_of.get(i)
        if name is not None and i not in self.own:
            self.refs[name] = i
            return name
        if obj is self.ns:
            return _NS_PID
        why = _refusal(t)
        if why is not None:
            raise _Refused(why if i in self.own else f"holds {why}")
        return None


class _FastPickler(_Refs, pickle.Pickler):
    """The C pickler, for plain data; what only dill can write (code from cells) hands over to dill."""

    def reducer_override(self, obj):
        # The C pickler would write a cell's function or class by reference to __main__, which a
        # fresh kernel does not have; other things it cannot write it refuses by itself.
        if type(obj) is types.FunctionType or isinstance(obj, type):
            if getattr(obj, "__module__", None) in ("__main__", None):
                raise _NeedDill()
        return NotImplemented


def _dill_pickler(sink, pid_of, own, ns):
    import dill

    class _DillPickler(_Refs, dill.Pickler):
        pass

    # byref=False: classes from cells go by value; recurse=False: a function's globals are written as
    # a reference to __main__'s namespace, so after a restore it reads the live variables.
    p = _DillPickler(sink, protocol=5, byref=False, recurse=False)
    p._main = sys.modules["__main__"]
    p._setup(pid_of, own, ns)
    return p


def _pickle_to(path, payload, own, pid_of, ns, limit, deadline):
    """Pickles payload ({name: object}) into path; returns (sha256, bytes, refs) or raises."""
    sink = _Sink(path, limit, deadline)
    try:
        try:
            p = _FastPickler(sink, protocol=5)
            p._setup(pid_of, own, ns)
            p.dump(payload)
        except (_TooBig, _OutOfTime, _Refused, _SinkError):
            raise
        except Exception:
            sink.reset()
            p = _dill_pickler(sink, pid_of, own, ns)
            p.dump(payload)
        sink.f.flush()
        return sink.h.hexdigest(), sink.n, p.refs
    finally:
        sink.f.close()
`;
