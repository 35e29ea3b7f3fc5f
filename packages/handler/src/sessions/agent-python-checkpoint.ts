/**
 * The agent's checkpoint: decides per object whether it changed since the baseline, pickles what
 * did into content-addressed files, and moves the baseline on. Part of the agent's Python
 * (agent-python.ts).
 */
export const CHECKPOINT_PY = String.raw`
def _group_key(name, v):
    """Names bound to one object share a file; immutable scalars never need to (identity is moot)."""
    t = type(v)
    if t in _ATOMS and not (t in (str, bytes) and len(v) >= 65536):
        return ("atom", name)
    return id(v)


def _scc(nodes, edges):
    """Strongly connected components (Tarjan, iterative): files that refer to each other in a cycle."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(edges.get(root, ())))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(edges.get(nxt, ()))))
                    advanced = True
                    break
                if nxt in on:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    n = stack.pop()
                    on.discard(n)
                    comp.append(n)
                    if n == node:
                        break
                out.append(comp)
    return out


def _spread_to_views(variables, dirty, all_dirty):
    """numpy views share memory with their base: writing through one name changes the others."""
    np = sys.modules.get("numpy")
    if np is None:
        return
    by_memory = {}
    for name, v in variables.items():
        if isinstance(v, np.ndarray):
            root = v
            while isinstance(root.base, np.ndarray):
                root = root.base
            owner = root if root.base is None else root.base
            by_memory.setdefault(id(owner), []).append(name)
    for names in by_memory.values():
        if len(names) > 1 and (all_dirty or dirty.intersection(names)):
            dirty.update(names)


def _settle_classes(values):
    """Pickling an instance caches __slotnames__ on its class: done first, a class pickled before
    its instances does not change under the next checkpoint."""
    import copyreg

    for v in values:
        for cls in (v, type(v)):
            if _is_user_class(cls) and "__slotnames__" not in cls.__dict__:
                try:
                    copyreg._slotnames(cls)
                except Exception:
                    pass


def checkpoint(args):
    args = json.loads(args)
    started = time.monotonic()
    deadline = started + float(args["budgetSeconds"])
    directory, limit = args["dir"], int(args["maxVariableBytes"])
    previous = args.get("previous") or {}
    os.makedirs(directory, exist_ok=True)
    ip = _shell()
    ns = ip.user_ns
    variables, imports, odd = _namespace()
    _settle_classes(variables.values())
    dirty, all_dirty = set(_state.dirty), _state.all_dirty
    _spread_to_views(variables, dirty, all_dirty)

    # Objects and the names bound to them.
    groups = {}  # key -> sorted names
    for name, v in variables.items():
        groups.setdefault(_group_key(name, v), []).append(name)
    for names in groups.values():
        names.sort()
    group_of = {n: k for k, names in groups.items() for n in names}
    obj_of = {k: variables[names[0]] for k, names in groups.items()}
    fp_of = {k: _fingerprint(obj_of[k]) for k in groups}
    oid_of = {k: id(obj_of[k]) for k in groups}
    pid_of = {id(obj_of[k]): groups[k][0] for k in groups if type(obj_of[k]) not in _ATOMS}

    # A baseline file is reused when every object in it is the very same, untouched one, the last
    # checkpoint holds it, and the variables it refers to are still the objects it referred to.
    kept = {}  # file -> baseline record
    for file, rec in _state.files.items():
        same = not all_dirty and not (dirty & set(rec["names"]))
        for names, oid, fp in rec["groups"] if same else ():
            k = group_of.get(names[0])
            if k is None or groups[k] != list(names) or oid_of[k] != oid or fp_of[k] != fp:
                same = False
                break
        same = same and rec["bytes"] <= limit
        same = same and all(previous.get(n, {}).get("sha256") == rec["sha"] for n in rec["names"])
        same = same and all(
            n in variables and id(variables[n]) == oid for n, oid in rec["refs"].items()
        )
        if same:
            kept[file] = rec
    # What a changed object holds may have been changed through it: distrust the files it refers to.
    file_of_name = {n: f for f, rec in _state.files.items() for n in rec["names"]}
    todo = [f for f in _state.files if f not in kept]
    while todo:
        for n in _state.files[todo.pop()]["refs"]:
            f = file_of_name.get(n)
            if f in kept:
                del kept[f]
                todo.append(f)
    kept_keys = {group_of[n] for rec in kept.values() for n in rec["names"]}

    result_vars, written, skipped, unpicklable = {}, [], [], []
    for name in odd:
        skipped.append({"name": name, "reason": "not an identifier, so it cannot be restored by name"})
    bad = {}  # key -> (kind, reason)
    new = {}  # node (tuple of keys) -> {"tmp", "sha", "bytes", "refs"}
    tmp_files = []
    prev_shas = {e.get("sha256") for e in previous.values()}

    def fresh(key):
        """A cached skipped/unpicklable verdict for an object that has not changed since."""
        c = _state.bad.get(tuple(groups[key]))
        if c is None or all_dirty or dirty & set(groups[key]):
            return None
        oid, fp, kind, reason, max_bytes = c
        if oid != oid_of[key] or fp != fp_of[key] or (kind == "skipped" and max_bytes != limit):
            return None
        return kind, reason

    def pickle_node(node):
        names = [n for k in node for n in groups[k]]
        if time.monotonic() > deadline:
            bad.update({k: ("skipped", "not checkpointed: the checkpoint ran out of time") for k in node})
            return
        lower = sum(_min_bytes(obj_of[k]) for k in node)
        if lower > limit:
            why = f"{', '.join(names)} is {_human(lower)}, over MCP_CHECKPOINT_MAX_VARIABLE_BYTES ({_human(limit)})"
            bad.update({k: ("skipped", why) for k in node})
            return
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".pkl")
        os.close(fd)
        tmp_files.append(tmp)
        payload = {n: variables[n] for n in names}
        try:
            sha, size, refs = _pickle_to(tmp, payload, {oid_of[k] for k in node}, pid_of, ns, limit, deadline)
        except _TooBig as e:
            why = (f"{', '.join(names)} is over {_human(limit)} when pickled (MCP_CHECKPOINT_MAX_VARIABLE_BYTES); "
                   f"pickling stopped at {_human(e.args[0])}")
            bad.update({k: ("skipped", why) for k in node})
        except _OutOfTime:
            bad.update({k: ("skipped", "not checkpointed: the checkpoint ran out of time") for k in node})
        except _Refused as e:
            bad.update({k: ("unpicklable", str(e)) for k in node})
        except RecursionError:
            bad.update({k: ("unpicklable", "too deeply nested to pickle") for k in node})
        except Exception as e:
            bad.update({k: ("unpicklable", _short(e)) for k in node})
        else:
            new[node] = {"tmp": tmp, "sha": sha, "bytes": size, "refs": refs}

    try:
        for k in groups:
            if k in kept_keys:
                continue
            verdict = fresh(k)
            if verdict is not None:
                bad[k] = verdict
            else:
                pickle_node((k,))

        # Files that refer to each other in a cycle could not be loaded one before the other: such a
        # cycle becomes one file (pickled together, their shared objects stay shared).
        node_of = {}
        for node in new:
            for k in node:
                node_of[k] = node
        for file, rec in kept.items():
            node_of.update({group_of[n]: ("kept", file) for n in rec["names"]})
        edges = {}
        for node, info in new.items():
            edges[node] = {node_of[group_of[n]] for n in info["refs"] if group_of.get(n) in node_of}
        for file, rec in kept.items():
            edges[("kept", file)] = {node_of[group_of[n]] for n in rec["refs"] if group_of.get(n) in node_of}
        for comp in _scc(list(edges), edges):
            if len(comp) < 2:
                continue
            merged = []
            for node in comp:
                if node[0] == "kept":
                    merged.extend({group_of[n] for n in kept.pop(node[1])["names"]})
                else:
                    merged.extend(node)
                    del new[node]
            pickle_node(tuple(sorted(merged, key=lambda k: groups[k][0])))

        # A file referring to a variable that is not checkpointed could not be restored either.
        ok_names = {n for node in new for k in node for n in groups[k]}
        ok_names |= {n for rec in kept.values() for n in rec["names"]}
        changed = True
        while changed:
            changed = False
            for node, info in list(new.items()):
                missing = [n for n in info["refs"] if n not in ok_names]
                if missing:
                    kind = bad.get(group_of.get(missing[0]), ("skipped",))[0]
                    why = f"refers to {missing[0]}, which is not checkpointed"
                    bad.update({k: (kind, why) for k in node})
                    del new[node]
                    ok_names -= {n for k in node for n in groups[k]}
                    changed = True
            for file, rec in list(kept.items()):
                missing = [n for n in rec["refs"] if n not in ok_names]
                if missing:
                    kind = bad.get(group_of.get(missing[0]), ("skipped",))[0]
                    for names, _oid, _fp in rec["groups"]:
                        bad[group_of[names[0]]] = (kind, f"refers to {missing[0]}, which is not checkpointed")
                    del kept[file]
                    ok_names -= set(rec["names"])
                    changed = True

        # Commit: content-addressed files, the manifest, and the new baseline.
        files = {}
        for file, rec in kept.items():
            for n in rec["names"]:
                result_vars[n] = previous[n]
            files[file] = rec
        for node, info in new.items():
            file = info["sha"] + ".pkl"
            # Rewritten to the same bytes, it is already stored: only new files are left in dir.
            if info["sha"] not in prev_shas:
                os.replace(info["tmp"], os.path.join(directory, file))
                if info["sha"] not in written:
                    written.append(info["sha"])
            names = sorted(n for k in node for n in groups[k])
            for n in names:
                entry = {"file": file, "sha256": info["sha"], "bytes": info["bytes"], "type": _tname(type(variables[n]))}
                if len(names) > 1:
                    entry["group"] = ",".join(names)
                result_vars[n] = entry
            files[file] = {
                "names": names,
                "groups": [(tuple(groups[k]), oid_of[k], fp_of[k]) for k in node],
                "refs": info["refs"],
                "sha": info["sha"],
                "bytes": info["bytes"],
            }
        bad_cache = {}
        for k, (kind, reason) in bad.items():
            for n in groups[k]:
                if kind == "skipped":
                    skipped.append({"name": n, "reason": reason})
                else:
                    unpicklable.append({"name": n, "type": _tname(type(variables[n])), "reason": reason})
            if "ran out of time" not in reason and not reason.startswith("refers to"):
                bad_cache[tuple(groups[k])] = (oid_of[k], fp_of[k], kind, reason, limit)
        _state.files, _state.bad = files, bad_cache
        _state.dirty.clear()
        _state.all_dirty = False
    finally:
        for tmp in tmp_files:
            if os.path.exists(tmp):
                os.unlink(tmp)

    return _Json({
        "variables": result_vars,
        "written": written,
        "deleted": sorted(n for n in previous if n not in variables),
        "skipped": skipped,
        "unpicklable": unpicklable,
        "imports": imports,
        "cwd": os.getcwd(),
        "executionCount": ip.execution_count - 1,
        "sysPath": _default_sys_path(),
        "durationMs": round((time.monotonic() - started) * 1000, 1),
    })
`;
