"""runbox's Python runner.

Started ahead of its run (the sandbox's two-step start), it waits on its
control socket (fd 4) for the run's payload and output pipes, then runs the
code (in a forked child, with `--zygote`, run after run) the way
`python3 -c` would, except that a top-level `return VALUE`
ends the code and makes VALUE the result. Payload modes: `script` (plain
code), `input` (the payload's `input` is the global `input`), `agent` (the
code must define `run(input)`, called with the input; its return value is
the result). The outcome (result, error line) is reported as one JSON
document on a channel of its own (fd 3), never mixed with the program's
stdout.
"""
import os
import sys

RUNNER_FILE = __file__

# `ast` and `traceback` cost milliseconds to import, more than the rest of a
# short run: they are imported only when needed (code with a top-level
# `return`, an exception to print). For the same reason the runner speaks
# JSON through the C accelerator `_json` and receives its pipes through
# `_socket`: the `json` and `socket` packages pull in `re` and `enum`, which
# cost more CPU than running `print('hi')` (that matters under load, when
# pre-started runners compete with running ones).

CONTROL_FD = 4


def _codec():
    """`(loads, dumps)` on the interpreter's C accelerator, checked on a
    sample; the `json` package where the accelerator's interface differs
    (it is private and may change between Python versions)."""
    try:
        import _json

        class _Context:
            strict = True
            object_hook = None
            object_pairs_hook = None
            parse_float = float
            parse_int = int
            parse_constant = float
            memo = {}

        scan = _json.make_scanner(_Context())

        def loads(text):
            value, end = scan(text, 0)
            if end != len(text):
                raise ValueError("extra data after the JSON document")
            return value

        def refuse(value):
            raise TypeError("Object of type %s is not JSON serializable" % type(value).__name__)

        def dumps(value):
            encode = _json.make_encoder(
                {}, refuse, _json.encode_basestring_ascii, None, ": ", ", ", False, False, False
            )
            return "".join(encode(value, 0))

        sample = {"a": [1, 2.5, "\u00e9\n", None, True], "b": {}}
        text = '{"a": [1, 2.5, "\\u00e9\\n", null, true], "b": {}}'
        if loads(text) != sample or dumps(sample) != text:
            raise ValueError("unexpected accelerator behaviour")
        return loads, dumps
    except Exception:
        import json

        return json.loads, lambda value: json.dumps(value, allow_nan=False)


_loads, _dumps = _codec()


class _Return(BaseException):
    """Carries a top-level `return` value out of the user's module."""

    def __init__(self, value):
        super().__init__()
        self.value = value


def _compile_with_returns(source):
    """Compiles code whose module body uses `return`: each such statement
    (not those of functions, classes or lambdas) becomes
    `raise __runbox_return__(value)`."""
    import ast

    class TopLevelReturns(ast.NodeTransformer):
        def _leave(self, node):
            return node

        visit_FunctionDef = _leave
        visit_AsyncFunctionDef = _leave
        visit_ClassDef = _leave
        visit_Lambda = _leave

        def visit_Try(self, node):
            # A bare `except:` (or `except BaseException:`) would swallow
            # the raised return: each handler first lets it through.
            self.generic_visit(node)
            for handler in node.handlers:
                check = ast.parse(
                    "if isinstance(__runbox_exc_info__()[1], __runbox_return__): raise"
                ).body[0]
                handler.body.insert(0, ast.copy_location(check, handler))
            return node

        visit_TryStar = visit_Try

        def visit_Return(self, node):
            value = node.value if node.value is not None else ast.Constant(value=None)
            call = ast.Call(func=ast.Name(id="__runbox_return__", ctx=ast.Load()), args=[value], keywords=[])
            return ast.copy_location(ast.Raise(exc=call, cause=None), node)

    tree = ast.parse(source, "<string>", "exec")
    tree = ast.fix_missing_locations(TopLevelReturns().visit(tree))
    return compile(tree, "<string>", "exec")


def _compile(source):
    try:
        return compile(source, "<string>", "exec")
    except SyntaxError as exc:
        if exc.msg != "'return' outside function":
            raise
    return _compile_with_returns(source)


def _print_exception(exc, tb):
    import traceback

    traceback.print_exception(type(exc), exc, tb)


def _error_line(exc):
    import traceback

    lines = traceback.format_exception_only(type(exc), exc)
    return lines[-1].strip() if lines else type(exc).__name__


def _user_traceback(exc):
    """The exception's traceback without the runner's own frames."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == RUNNER_FILE:
        tb = tb.tb_next
    return tb


_MAX_DEPTH = 64
_INT_MIN, _INT_MAX = -(2 ** 63), 2 ** 64 - 1


def _check(value):
    """Raises ValueError for what JSON can encode but runbox cannot keep
    faithfully: nesting deeper than 64, integers beyond 64 bits, strings
    with lone surrogates (not UTF-8)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if not item.isascii():
                item.encode("utf-8")  # UnicodeEncodeError is a ValueError
        elif isinstance(item, bool) or item is None or isinstance(item, float):
            pass
        elif isinstance(item, int):
            if not _INT_MIN <= item <= _INT_MAX:
                raise ValueError("an integer does not fit in 64 bits")
        elif isinstance(item, (list, tuple, dict)):
            if depth > _MAX_DEPTH:
                raise ValueError("nested deeper than %d levels" % _MAX_DEPTH)
            if isinstance(item, dict):
                for key, child in item.items():
                    stack.append((key, depth + 1))
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in item)


def _encode(value):
    if value is None:
        return "null"
    try:
        _check(value)
        return _dumps(value)
    except (TypeError, ValueError, RecursionError, OverflowError):
        try:
            return _dumps(repr(value))
        except Exception:  # a repr that itself fails
            return _dumps("<unrepresentable result>")


class _AgentError(Exception):
    """The agent's code broke the agent protocol (no run(), non-JSON result)."""


def _run_agent(namespace):
    run = namespace.get("run")
    if not callable(run):
        raise _AgentError("the agent code does not define a function run(input)")
    result = run(namespace.get("input"))
    try:
        _check(result)
        _dumps(result)
    except (TypeError, ValueError, RecursionError, OverflowError) as exc:
        raise _AgentError("run() returned a value JSON cannot encode: %s" % exc) from None
    return result


def _receive_fds(control):
    """The next run's descriptors, `[payload, stdout, stderr, result]`, or
    None when the launcher went away instead."""
    import _socket

    _message, ancillary, _flags, _address = control.recvmsg(16, _socket.CMSG_LEN(4 * 4))
    fds = []
    for level, kind, data in ancillary:
        if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
            fds += [int.from_bytes(data[i:i + 4], sys.byteorder, signed=True)
                    for i in range(0, len(data) - len(data) % 4, 4)]
    if len(fds) != 4:
        for fd in fds:
            os.close(fd)
        return None
    return fds


def _receive():
    """Waits for the run: the payload and the output pipes, put in place."""
    import _socket

    control = _socket.socket(fileno=CONTROL_FD)
    try:
        fds = _receive_fds(control)
    finally:
        control.close()
    if fds is None:
        sys.exit(0)  # the launcher went away before the run came
    return _take(fds)


def _take(fds):
    """Puts the run's pipes on 1, 2 and 3 and reads its payload."""
    payload_fd, stdout_fd, stderr_fd, result_fd = fds
    for source, target in ((stdout_fd, 1), (stderr_fd, 2), (result_fd, 3)):
        os.dup2(source, target)
        os.close(source)
    os.lseek(payload_fd, 0, os.SEEK_SET)  # the launcher's write left it at the end
    with os.fdopen(payload_fd, "rb") as f:
        payload = _loads(f.read().decode("utf-8"))
    os.environ.update(payload.get("env") or {})
    return payload


def _add_packages(directory):
    """Makes the run's package environment importable ahead of the system's
    own packages, its `.pth` files processed as for site-packages (by
    `site`, only when there are any: it stats every `sys.path` entry)."""
    before = list(sys.path)
    if any(name.endswith(".pth") for name in os.listdir(directory)):
        import site

        site.addsitedir(directory)
    else:
        sys.path.append(directory)
    added = [entry for entry in sys.path if entry not in before]
    sys.path[:] = before[:1] + added + before[1:]


def run(payload):
    """Runs one payload to its end, then ends the process."""
    mode = payload.get("mode", "script")
    agent = mode == "agent"
    with_input = mode in ("input", "agent")
    # The result channel stays on 3 (the code sees 0, 1, 2 and it, nothing
    # that reaches the launcher); programs the code starts do not get it.
    os.set_inheritable(3, False)
    channel = os.fdopen(3, "w", encoding="utf-8")
    source = payload.get("code", "")
    sys.argv = ["-c"]
    sys.path.insert(0, "")
    for directory in payload.get("path") or ():
        _add_packages(directory)
    result = None
    error = None
    exit_code = 0
    try:
        code = _compile(source)
    except (SyntaxError, ValueError) as exc:
        _print_exception(exc, None)
        error, exit_code = _error_line(exc), 1
    else:
        namespace = {"__name__": "__main__", "__builtins__": __builtins__, "__runbox_return__": _Return,
                     "__runbox_exc_info__": sys.exc_info}
        try:
            if with_input:
                namespace["input"] = payload.get("input")
            exec(code, namespace)
            if agent:
                result = _run_agent(namespace)
        except _AgentError as exc:
            print("runbox: %s" % exc, file=sys.stderr)
            error, exit_code = str(exc), 1
        except _Return as ret:
            result = ret.value
        except SystemExit as exc:
            if exc.code is None:
                exit_code = 0
            elif isinstance(exc.code, int):
                exit_code = exc.code
            else:
                print(exc.code, file=sys.stderr)
                exit_code = 1
        except BaseException as exc:
            _print_exception(exc, _user_traceback(exc))
            error, exit_code = _error_line(exc), 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:
        pass
    exit_code &= 0xFF
    error_json = "null" if error is None else _encode(error)
    channel.write('{"result":%s,"error":%s,"exit_code":%d}' % (_encode(result), error_json, exit_code))
    channel.close()
    _exit(exit_code)


def _exit(exit_code):
    """Ends the process. When the code left no other thread and no exit
    handler behind, the interpreter's own finalization (a few milliseconds
    of tearing down modules whose memory the sandbox discards anyway) is
    skipped; otherwise Python exits normally, joining threads and running
    handlers as `python3 -c` would."""
    import atexit

    threading = sys.modules.get("threading")
    lone = threading is None or threading.active_count() <= 1
    if lone and atexit._ncallbacks() == 0:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(exit_code)
    sys.exit(exit_code)


# ------------------------------------------------------------- zygote ----
# With `--zygote` the runner serves run after run: for each payload it
# forks, and the child (a copy of an interpreter that never ran user code)
# runs it. Then it removes what the run left (processes, files) and reports
# the child's end on the control socket (see ARCHITECTURE.md, "Warm Python").

# Imported once here, so that runs find them loaded.
_PRELOADED = ("json", "re", "datetime", "collections", "random", "math", "time",
              "base64", "hashlib", "itertools", "functools", "traceback", "ast")
_SCRATCH = ("/work", "/tmp", "/dev/shm")
_PR_SET_DUMPABLE = 4
_LANDLOCK_SCOPES = 3  # LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL
_LANDLOCK_MAKE_BLOCK = 1 << 11


_LIBC = None


def _libc():
    """`(ctypes, libc)`, loaded once (by the zygote, before any run)."""
    global _LIBC
    if _LIBC is None:
        import ctypes

        _LIBC = ctypes, ctypes.CDLL(None, use_errno=True)
    return _LIBC


def _call(function, *args):
    """A libc call whose arguments are C longs (as `syscall` and `prctl`
    read them), never 32-bit ints with undefined upper halves."""
    ctypes = _libc()[0]
    return function(*[ctypes.c_long(a) if isinstance(a, int) else a for a in args])


def _isolate_child():
    """What sets a run apart from the zygote it was forked from: a fresh
    `random` state, and a Landlock domain of its own, in which it can
    neither signal nor ptrace (nor read the memory of) the zygote."""
    random = sys.modules.get("random")
    if random is not None:
        random.seed()
    ctypes, libc = _libc()
    _call(libc.prctl, _PR_SET_DUMPABLE, 1, 0, 0, 0)  # its own /proc entries stay its own
    abi = _call(libc.syscall, 444, None, 0, 1)  # landlock_create_ruleset(VERSION)
    if abi < 1:
        return
    fields = [_LANDLOCK_MAKE_BLOCK] + ([0] if abi >= 4 else []) + ([_LANDLOCK_SCOPES] if abi >= 6 else [])
    attr = (ctypes.c_uint64 * len(fields))(*fields)
    ruleset = _call(libc.syscall, 444, ctypes.byref(attr), ctypes.sizeof(attr), 0)
    if ruleset < 0 or _call(libc.syscall, 446, ruleset, 0) != 0:  # landlock_restrict_self
        os._exit(70)  # never run the code less isolated than promised
    os.close(ruleset)


def _wait(pid):
    """The run's end as the launcher reads it: `exit N` or `signal N`, then
    its CPU milliseconds and peak RSS in KiB."""
    while True:
        try:
            _, status, usage = os.wait4(pid, 0)
            break
        except InterruptedError:
            continue
    cpu_ms = int((usage.ru_utime + usage.ru_stime) * 1000)
    figures = b" %d %d" % (cpu_ms, usage.ru_maxrss)
    if os.WIFSIGNALED(status):
        return b"signal %d" % os.WTERMSIG(status) + figures
    return b"exit %d" % os.WEXITSTATUS(status) + figures


def _empty(top):
    """Removes everything under `top` (all of it the run's uid's); False
    if something stayed."""
    try:
        entries = list(os.scandir(top))
    except FileNotFoundError:
        return True
    except OSError:
        return False
    clean = True
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):
                os.chmod(entry.path, 0o700)
                clean = _empty(entry.path) and clean
                os.rmdir(entry.path)
            else:
                os.unlink(entry.path)
        except OSError:
            clean = False
    return clean


def _sweep():
    """Kills every process the run left (all but init and us), waits until
    init has reaped them, and empties the scratch directories. False if
    something could not be removed: then this zygote must not serve again."""
    import time

    me = os.getpid()
    deadline = time.monotonic() + 2.0
    try:
        while True:
            try:
                os.kill(-1, 9)
            except OSError:
                pass
            left = [n for n in os.listdir("/proc") if n.isdigit() and int(n) not in (1, me)]
            if not left:
                break
            if time.monotonic() > deadline:
                return False
            time.sleep(0.0005)
        return all([_empty(top) for top in _SCRATCH])
    except (OSError, RecursionError):
        return False


def zygote():
    import _socket

    control = _socket.socket(fileno=CONTROL_FD)
    for name in _PRELOADED:
        try:
            __import__(name)
        except ImportError:
            pass
    _call(_libc()[1].prctl, _PR_SET_DUMPABLE, 0, 0, 0, 0)
    # The preloaded objects move to the collector's permanent generation,
    # so a child's collections never walk (and so copy) the pages the
    # zygote shares with every run.
    import gc

    gc.collect()
    gc.freeze()
    while True:
        try:
            fds = _receive_fds(control)
        except OSError:
            fds = None
        if fds is None:
            os._exit(0)
        pid = os.fork()
        if pid == 0:
            # The child never returns into this loop: `run` ends the process
            # (its SystemExit unwinds the interpreter as `python3 -c`'s would).
            try:
                control.close()
                _isolate_child()
                run(_take(fds))
            except SystemExit:
                raise
            except BaseException:
                os._exit(70)
            os._exit(70)
        for fd in fds:
            os.close(fd)
        ended = _wait(pid)
        clean = _sweep()
        control.send(ended)
        if not clean:
            os._exit(0)


if "--zygote" in sys.argv[1:]:
    zygote()
else:
    run(_receive())
