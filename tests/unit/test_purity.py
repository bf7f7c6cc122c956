"""The pure core imports no AWS or framework code and never reads the wall clock."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PURE = ["chalicelib/domain", "chalicelib/triggers", "chalicelib/sequences"]
FORBIDDEN_MODULES = ("boto3", "botocore", "pynamodb", "chalice", "aws_lambda_powertools")
FORBIDDEN_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"),
                   ("time", "time"), ("time", "monotonic")}


def _files():
    for folder in PURE:
        yield from sorted((ROOT / folder).rglob("*.py"))


def test_pure_packages_exist():
    assert len(list(_files())) >= 3


def test_no_aws_or_framework_imports_and_no_wall_clock():
    problems = []
    for path in _files():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.ImportFrom) and node.level >= 2:
                # relative imports may not climb out of the pure core into adapters
                if node.module and node.module.split(".")[0] not in ("domain", "triggers", "sequences", "content"):
                    problems.append(f"{path}: from {'.' * node.level}{node.module}")
            for name in names:
                if name.split(".")[0] in FORBIDDEN_MODULES:
                    problems.append(f"{path}: imports {name}")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    isinstance(node.func.value, ast.Name) and (node.func.value.id, node.func.attr) in FORBIDDEN_CALLS:
                problems.append(f"{path}:{node.lineno}: {node.func.value.id}.{node.func.attr}()")
    assert problems == []


def test_the_dependency_runs_one_way_domain_knows_no_sequences_or_triggers():
    """Sequences and triggers build on domain; domain never reaches back up into them."""
    problems = []
    for path in sorted((ROOT / "chalicelib/domain").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level >= 2 and node.module and \
                    node.module.split(".")[0] in ("sequences", "triggers"):
                problems.append(f"{path.name}: from {'.' * node.level}{node.module}")
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and \
                    node.module.startswith(("chalicelib.sequences", "chalicelib.triggers")):
                problems.append(f"{path.name}: from {node.module}")
    assert problems == []
