"""runbox's Python runner.

Runs /runbox/main.py the way `python3 -c` would, except that a top-level
`return VALUE` ends the code and makes VALUE the result. With the argument
`input`, the JSON document in /runbox/input.json is the global `input`. With
the argument `agent`, the code must define `run(input)`, which is then
called with that document and whose return value is the result.
The outcome (result, error line) is reported as one JSON document on a
channel of its own (fd 3), never mixed with the program's stdout.
"""
import os
import sys

RUNNER_FILE = __file__

# `ast`, `json` and `traceback` cost several milliseconds to import, more
# than the rest of a short run: they are imported only when needed (code
# with a top-level `return`, a result to encode, an exception to print).


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


def _encode(value):
    if value is None:
        return "null"
    import json

    try:
        return json.dumps(value, allow_nan=False)
    except (TypeError, ValueError, RecursionError, OverflowError):
        try:
            return json.dumps(repr(value))
        except Exception:  # a repr that itself fails
            return json.dumps("<unrepresentable result>")


class _AgentError(Exception):
    """The agent's code broke the agent protocol (no run(), non-JSON result)."""


def _run_agent(namespace):
    import json

    run = namespace.get("run")
    if not callable(run):
        raise _AgentError("the agent code does not define a function run(input)")
    result = run(_load_input())
    try:
        json.dumps(result, allow_nan=False)
    except (TypeError, ValueError, RecursionError, OverflowError) as exc:
        raise _AgentError("run() returned a value JSON cannot encode: %s" % exc) from None
    return result


def _load_input():
    import json

    with open("/runbox/input.json", encoding="utf-8") as f:
        return json.load(f)


def main():
    agent = sys.argv[1:] == ["agent"]
    with_input = sys.argv[1:] == ["input"]
    channel = os.fdopen(os.dup(3), "w", encoding="utf-8")  # dup'ed fds are not inherited
    os.close(3)
    with open("/runbox/main.py", encoding="utf-8") as f:
        source = f.read()
    sys.argv = ["-c"]
    sys.path.insert(0, "")
    result = None
    error = None
    exit_code = 0
    try:
        code = _compile(source)
    except (SyntaxError, ValueError) as exc:
        _print_exception(exc, None)
        error, exit_code = _error_line(exc), 1
    else:
        namespace = {"__name__": "__main__", "__builtins__": __builtins__, "__runbox_return__": _Return}
        try:
            if with_input:
                namespace["input"] = _load_input()
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
    sys.exit(exit_code)


main()
