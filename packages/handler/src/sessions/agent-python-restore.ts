/**
 * The agent's restore: sys.path, working directory, imports, then each file (checked against its
 * sha256, references to other variables loaded on demand), then the execution count; the restored
 * state becomes the baseline. Part of the agent's Python (agent-python.ts).
 */
export const RESTORE_PY = String.raw`
class _LoadFailed(Exception):
    pass


def _verified(path, sha):
    """The opened file once its bytes hash to the manifest's sha256 (read in chunks: no big copy)."""
    f = open(path, "rb")
    try:
        h, buf = hashlib.sha256(), bytearray(1 << 20)
        view = memoryview(buf)
        while True:
            n = f.readinto(buf)
            if not n:
                break
            h.update(view[:n])
        if h.hexdigest() != sha:
            raise _LoadFailed("the file is corrupt (its sha256 does not match the manifest)")
        f.seek(0)
        return f
    except BaseException:
        f.close()
        raise


def restore(args):
    import importlib

    args = json.loads(args)
    started = time.monotonic()
    deadline = started + float(args["budgetSeconds"])
    directory, manifest = args["dir"], args["manifest"]
    ip = _shell()
    ns = ip.user_ns
    notes = []

    # sys.path before imports (a package from install_package's directory), cwd before imports too
    # (a module next to the caller's files), then imports, then the variables that may need them.
    added = []
    for p in reversed(manifest.get("sysPath") or []):
        if isinstance(p, str) and p not in sys.path:
            if os.path.exists(p):
                sys.path.insert(0, p)
                added.append(p)
            else:
                notes.append(f"sys.path entry {p} does not exist here; not added")
    if added:
        importlib.invalidate_caches()
    cwd = manifest.get("cwd")
    if isinstance(cwd, str) and cwd:
        if os.path.isdir(cwd):
            os.chdir(cwd)
        else:
            notes.append(f"the working directory {cwd} does not exist here; it stays {os.getcwd()}")

    imports_ok, imports_failed = 0, []
    for imp in manifest.get("imports") or []:
        try:
            obj = importlib.import_module(imp["module"])
            if imp.get("name"):
                for part in imp["name"].split("."):
                    obj = getattr(obj, part)
            ns[imp["alias"]] = obj
            imports_ok += 1
        except Exception as e:
            imports_failed.append({"alias": imp.get("alias"), "module": imp.get("module"), "reason": _short(e)})

    import dill

    entries = manifest.get("variables") or {}
    loaded, failed, loading, files = {}, {}, set(), {}
    names_of = {}
    for n, e in entries.items():
        names_of.setdefault(e.get("file"), []).append(n)
    main = sys.modules["__main__"]

    def resolve(name):
        if name in loaded:
            return loaded[name]
        entry = entries.get(name)
        if entry is None:
            raise _LoadFailed(f"needs {name}, which is not in the checkpoint")
        load_file(entry.get("file"), entry.get("sha256"))
        if name not in loaded:
            raise _LoadFailed(f"needs {name}, which could not be restored ({failed.get(name, 'missing')})")
        return loaded[name]

    class _Loader(dill.Unpickler):
        def persistent_load(self, pid):
            if pid == _NS_PID:
                return ns
            v = resolve(pid)
            self.refs[pid] = id(v)
            return v

    def load_file(file, sha):
        if file in files or file in loading:
            if file in loading:
                raise _LoadFailed(f"{file} refers back to itself through other files")
            return
        names = sorted(names_of.get(file, ()))
        if names and all(n in failed for n in names):
            return  # failed already, for another variable that needed it
        loading.add(file)
        try:
            if time.monotonic() > deadline:
                raise _LoadFailed("the restore ran out of time")
            if not isinstance(file, str) or not _FILE_RE.match(file) or file != f"{sha}.pkl":
                raise _LoadFailed("the manifest names no valid file for it")
            path = os.path.join(directory, file)
            if not os.path.exists(path):
                raise _LoadFailed(f"its file {file} is missing")
            with _verified(path, sha) as f:
                u = _Loader(f)
                u._main = main
                u.refs = {}
                payload = u.load()
            if not isinstance(payload, dict) or any(n not in payload for n in names):
                raise _LoadFailed("its file does not hold it")
        except _LoadFailed as e:
            failed.update({n: str(e) for n in names})
            return
        except RecursionError:
            failed.update({n: "too deeply nested to unpickle" for n in names})
            return
        except Exception as e:
            failed.update({n: _short(e) for n in names})
            return
        finally:
            loading.discard(file)
        for n in names:
            loaded[n] = payload[n]
            ns[n] = payload[n]
        groups = {}
        for n in names:
            groups.setdefault(_group_key(n, payload[n]), []).append(n)
        files[file] = {
            "names": names,
            "groups": [(tuple(g), id(payload[g[0]]), _fingerprint(payload[g[0]])) for g in groups.values()],
            "refs": u.refs,
            "sha": sha,
            "bytes": os.path.getsize(path),
        }

    for name in sorted(entries):
        if name not in loaded and name not in failed:
            entry = entries[name]
            load_file(entry.get("file"), entry.get("sha256"))

    count = manifest.get("executionCount")
    if isinstance(count, int) and ip.execution_count < count + 1 <= 10_000_000:
        # In[n] stays the n-th cell's source: pad the input history up to the restored count.
        hm = ip.history_manager
        for hist in (hm.input_hist_parsed, hm.input_hist_raw):
            hist.extend([""] * (count + 1 - len(hist)))
        ip.execution_count = count + 1

    # The restored state is the baseline: an immediate checkpoint against this manifest writes nothing.
    _state.files = files
    _state.bad = {}
    _state.dirty.clear()
    _state.all_dirty = False
    return _Json({
        "restored": sorted(loaded),
        "failed": [{"name": n, "reason": r} for n, r in sorted(failed.items())],
        "imports": {"restored": imports_ok, "failed": imports_failed},
        "notes": notes,
        "durationMs": round((time.monotonic() - started) * 1000, 1),
    })
`;
