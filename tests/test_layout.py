"""The shape of the code (docs/architecture.md): imports sit at the top of modules.

`make check` runs `lint-imports` for the layers and circles; this keeps the imports hidden in
functions (the usual way to dodge a circle) few, and each one explained by the comment above it.
"""

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "fangkong"
MOST = 9  # issue 13: fewer than ten


def imports_in_functions(root: Path = SRC) -> list[tuple[str, int, bool]]:
    """(module path, line, whether a comment says why) for each import inside a function."""
    found = []
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        source = path.read_text("utf-8")
        lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    above = lines[inner.lineno - 2].strip() if inner.lineno > 1 else ""
                    said = above.startswith("#") or "#" in lines[inner.lineno - 1]
                    found.append((path.relative_to(root).as_posix(), inner.lineno, said))
    return found


def test_few_imports_inside_functions_and_each_says_why():
    found = imports_in_functions()
    unexplained = [f"{p}:{n}" for p, n, said in found if not said]
    assert not unexplained, f"say why these are not at the top of the module: {unexplained}"
    assert len(found) <= MOST, f"{len(found)} imports inside functions: {found}"


def test_the_scan_finds_imports_in_functions_and_their_reasons(tmp_path):
    (tmp_path / "m.py").write_text(
        "import os\n\n\ndef f():\n    # slow to import\n    import json\n\n\n"
        "def g():\n    from re import compile\n"
    )
    assert imports_in_functions(tmp_path) == [("m.py", 6, True), ("m.py", 10, False)]
