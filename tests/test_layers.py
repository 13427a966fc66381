"""Layering rules, checked on the source by reading every import statement.

`flperf.host` may import `flperf.providers` (a host runs the Foundry runtime code kept there),
never the other way round; the health probe both use lives in the neutral
`flperf.endpoint_health`; the service reaches hosts only through the provider interface, so
only its composer (`service/providers.py`) names `flperf.host` and no service module branches
on a provider's name.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from flperf.providers import provider_names

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "flperf"


def module_name(path: Path) -> str:
    """``src/flperf/providers/foundry.py`` -> ``flperf.providers.foundry``."""
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(source: str, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, module) for every module the source imports, at any depth: top level, inside
    functions and ``if TYPE_CHECKING:`` blocks, relative imports resolved, ``from a import b``
    counted as both ``a`` and ``a.b``, and string arguments of ``importlib.import_module`` and
    ``__import__``."""
    package = module if is_package else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            first = node.args[0]
            if name in ("import_module", "__import__") and isinstance(first, ast.Constant):
                found.append((node.lineno, str(first.value)))
    return found


def imports_under(folder: Path) -> dict[str, list[tuple[int, str]]]:
    """What each module under ``folder`` imports, by file path relative to ``src``."""
    return {
        str(path.relative_to(SRC)): imports_of(
            path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py"
        )
        for path in sorted(folder.rglob("*.py"))
    }


def names(found: list[tuple[int, str]], prefix: str) -> list[tuple[int, str]]:
    return [(line, name) for line, name in found if name == prefix or name.startswith(prefix + ".")]


def test_the_scan_sees_lazy_relative_and_dynamic_imports() -> None:
    source = (
        "import flperf.host.supervisor\n"
        "from flperf import host\n"
        "def later():\n"
        "    from ..host.supervisor import HostManager\n"
        "    from .. import host\n"
        "    importlib.import_module('flperf.host')\n"
        "from .registry import Provider\n"
    )
    found = imports_of(source, "flperf.providers.foundry")
    assert [line for line, _ in names(found, "flperf.host")] == [1, 2, 4, 4, 5, 6]
    assert (7, "flperf.providers.registry.Provider") in found


def test_providers_never_import_host() -> None:
    scanned = imports_under(PACKAGE / "providers")
    assert "flperf/providers/foundry.py" in scanned
    assert any(names(found, "flperf.providers.registry") for found in scanned.values())
    offending = [
        f"{path}:{line} imports {name}"
        for path, found in scanned.items()
        for line, name in names(found, "flperf.host")
    ]
    assert offending == []


def test_the_health_probe_module_imports_neither_side() -> None:
    path = PACKAGE / "endpoint_health.py"
    found = imports_of(path.read_text(encoding="utf-8"), "flperf.endpoint_health")
    assert names(found, "flperf.providers") == [] and names(found, "flperf.host") == []


def test_only_the_service_composer_imports_host() -> None:
    offending = [
        f"{path}:{line} imports {name}"
        for path, found in imports_under(PACKAGE / "service").items()
        if path != "flperf/service/providers.py"
        for line, name in names(found, "flperf.host")
    ]
    assert offending == []


def test_no_service_module_compares_with_a_provider_name() -> None:
    providers = set(provider_names())
    assert {"foundry", "openai"} <= providers
    offending = []
    for path in sorted((PACKAGE / "service").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare):
                operands = [node.left, *node.comparators]
                if any(isinstance(o, ast.Constant) and o.value in providers for o in operands):
                    offending.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert offending == []


def test_importing_providers_loads_no_host_module() -> None:
    code = (
        "import sys, flperf.providers\n"
        "print(sorted(m for m in sys.modules if m == 'flperf.host' or "
        "m.startswith('flperf.host.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
