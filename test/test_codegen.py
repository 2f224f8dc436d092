"""The generator: deterministic output, and it runs on ICA's whole definition."""

from __future__ import annotations

import filecmp
import pathlib
import shutil
import subprocess
import sys
import textwrap

import pytest

from codegen import generate

ROOT = pathlib.Path(__file__).resolve().parent.parent
FULL_SPEC = ROOT.parent / "shared" / "spec" / "ica-openapi-full.yaml"


def differences(left: pathlib.Path, right: pathlib.Path) -> list:
    """Files that differ, or exist on one side only, between two trees."""
    found = []
    comparison = filecmp.dircmp(left, right, ignore=["__pycache__"])
    stack = [(comparison, pathlib.Path())]
    while stack:
        current, relative = stack.pop()
        found += [str(relative / n) for n in current.left_only + current.right_only]
        found += [
            str(relative / n)
            for n in current.common_files
            if (pathlib.Path(current.left) / n).read_bytes()
            != (pathlib.Path(current.right) / n).read_bytes()
        ]
        stack += [(sub, relative / name) for name, sub in current.subdirs.items()]
    return sorted(found)


def test_regenerating_gives_the_committed_files(tmp_path):
    """Running the generator again changes no byte of the committed output."""
    generate.main(["--out", str(tmp_path)])

    for relative in (*generate.GENERATED_DIRS, "docs/models", "docs/apis"):
        assert differences(ROOT / relative, tmp_path / relative) == [], relative
    assert (ROOT / "docs/README.md").read_bytes() == (
        tmp_path / "docs/README.md"
    ).read_bytes()


def test_generating_twice_is_byte_identical(tmp_path):
    """Two runs on the same document write the same bytes."""
    generate.main(["--out", str(tmp_path / "a")])
    generate.main(["--out", str(tmp_path / "b")])

    assert differences(tmp_path / "a", tmp_path / "b") == []


@pytest.mark.skipif(
    not FULL_SPEC.exists(), reason="ICA's full definition is not beside the repo"
)
def test_full_definition_generates_and_every_module_imports(tmp_path):
    """All 307 operations of ICA's whole definition generate, import and resolve."""
    pytest.importorskip("yaml")
    package = tmp_path / "icasdk"
    shutil.copytree(
        ROOT / "icasdk",
        package,
        ignore=shutil.ignore_patterns(
            "__pycache__", "model", "models", "paths", "apis"
        ),
    )
    generate.main(["--spec", str(FULL_SPEC), "--out", str(tmp_path)])

    operations = list((package / "paths").glob("*/*.py"))
    operations = [p for p in operations if p.name != "__init__.py"]
    assert len(operations) == 307
    script = textwrap.dedent(
        """
        import importlib, pathlib, sys
        from icasdk import schemas
        root = pathlib.Path(sys.argv[1])
        count = 0
        for path in sorted(root.glob("icasdk/**/*.py")):
            name = ".".join(path.relative_to(root).with_suffix("").parts)
            if name.endswith("__init__"):
                name = name[: -len(".__init__")]
            module = importlib.import_module(name)
            count += 1
            for value in vars(module).values():
                fields = getattr(value, "__fields__", {})
                for field in fields.values():
                    kind = field.type
                    while isinstance(kind, schemas.Array):
                        kind = kind.items
                    if isinstance(kind, schemas.Ref):
                        kind.resolved
        print(count)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    assert int(result.stdout) > 1000
