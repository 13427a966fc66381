"""No POSIX-only call sits unguarded in src/, as far as a syntax scan can tell.

`mypy --platform win32` (part of `make typecheck`) already rejects every POSIX-only attribute
that typeshed marks so (`os.killpg`, `signal.SIGKILL`, ...) outside a ``sys.platform`` check.
These tests cover what it cannot see: calls that exist everywhere but fail or mean something
else on Windows, imports of POSIX-only modules, and Linux file-system paths.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from pathlib import Path

import flperf

SRC = Path(flperf.__file__).parent
POSIX_ONLY_MODULES = {"pwd", "grp", "fcntl", "termios", "tty", "pty", "resource", "posix", "syslog"}

# Linux paths read somewhere in src/, each checked by hand for what happens without it.
REVIEWED_LINUX_PATHS = {
    # `_cpu_model` checks it exists (and runs inside `_safe`); else sysctl or platform.processor().
    ("bench/fingerprint.py", "/proc/cpuinfo"),
    # `RaplReader` finds no zone: `available` is False, energy is None, listed as unavailable.
    ("bench/monitor.py", "/sys/class/powercap"),
}


def modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(SRC.rglob("*.py")):
        yield path.relative_to(SRC).as_posix(), ast.parse(path.read_text(), str(path))


def with_parents(tree: ast.AST) -> Iterator[tuple[ast.AST, list[ast.AST]]]:
    """Every node with the chain of nodes that contain it (outermost first)."""
    stack: list[tuple[ast.AST, list[ast.AST]]] = [(tree, [])]
    while stack:
        node, parents = stack.pop()
        yield node, parents
        for child in ast.iter_child_nodes(node):
            stack.append((child, [*parents, node]))


def in_try_catching(node: ast.AST, parents: list[ast.AST], names: set[str]) -> bool:
    """``node`` is in a ``try`` with an ``except`` naming one of ``names``, or in a
    ``with contextlib.suppress(...)`` naming one."""
    chain = [*parents, node]
    for outer, inner in itertools.pairwise(chain):
        if isinstance(outer, ast.Try) and inner in outer.body:
            caught = [h.type for h in outer.handlers if h.type is not None]
        elif isinstance(outer, ast.With) and inner in outer.body:
            caught = [
                arg
                for item in outer.items
                if isinstance(item.context_expr, ast.Call)
                and ast.unparse(item.context_expr.func).endswith("suppress")
                for arg in item.context_expr.args
            ]
        else:
            continue
        for exc in caught:
            elements = exc.elts if isinstance(exc, ast.Tuple) else [exc]
            if any(isinstance(e, ast.Name) and e.id in names for e in elements):
                return True
    return False


def under_platform_check(parents: list[ast.AST]) -> bool:
    return any(isinstance(p, ast.If) and "sys.platform" in ast.unparse(p.test) for p in parents)


def test_loop_signal_handlers_fall_back_where_the_loop_has_none() -> None:
    # Windows' event loops raise NotImplementedError from add_signal_handler.
    offenders = {
        name
        for name, tree in modules()
        for node, parents in with_parents(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "add_signal_handler"
        and not in_try_catching(node, parents, {"NotImplementedError"})
    }
    assert not offenders, "use flperf.bench.event_loop.install_interrupt"


def test_no_parent_check_by_getppid() -> None:
    # On Windows an orphan keeps its parent's id: getppid never changes. Use ParentWatch.
    users = {
        name
        for name, tree in modules()
        for node, _ in with_parents(tree)
        if isinstance(node, ast.Attribute) and node.attr == "getppid"
    }
    assert users == set()


def test_children_lead_a_group_through_group_leader_options() -> None:
    # start_new_session is ignored on Windows; group_leader_options sets the Windows flag too.
    users = {
        name
        for name, tree in modules()
        for node, _ in with_parents(tree)
        if isinstance(node, ast.keyword) and node.arg == "start_new_session"
    }
    assert users == set()


def test_posix_only_modules_are_imported_behind_a_guard() -> None:
    offenders = set()
    for name, tree in modules():
        for node, parents in with_parents(tree):
            if isinstance(node, ast.Import):
                imported = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported = {node.module.split(".")[0]}
            else:
                continue
            guarded = under_platform_check(parents) or in_try_catching(
                node, parents, {"ImportError", "ModuleNotFoundError"}
            )
            if imported & POSIX_ONLY_MODULES and not guarded:
                offenders.add(name)
    assert offenders == set()


def test_every_linux_path_read_in_src_has_a_reviewed_fallback() -> None:
    paths = {
        (name, node.value)
        for name, tree in modules()
        for node, _ in with_parents(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.startswith(("/proc", "/sys/", "/dev/", "/etc/", "/usr/"))
    }
    assert paths <= REVIEWED_LINUX_PATHS, "review what happens without it, then list it here"


def test_text_files_are_read_and_written_with_a_named_encoding() -> None:
    # Without one, Windows uses its ANSI code page: a UTF-8 file (a tokenizer config, a
    # description with an accent) then reads wrong or not at all.
    positions = {"read_text": 0, "write_text": 1}
    offenders = {
        (name, node.lineno)
        for name, tree in modules()
        for node, _ in with_parents(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in positions
        and len(node.args) <= positions[node.func.attr]
        and not any(keyword.arg == "encoding" for keyword in node.keywords)
    }
    assert offenders == set()
