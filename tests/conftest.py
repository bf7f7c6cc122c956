"""Shared test set-up: fake AWS credentials and the local stage, before anything imports config."""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "API_TOKEN_PARAM"):
    os.environ.pop(key, None)
os.environ.update({
    "TOUCHENGINE_STAGE": "local",
    "TOUCHENGINE_API_TOKEN": "test-token",
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
    "POWERTOOLS_METRICS_NAMESPACE": "TouchEngine", "POWERTOOLS_LOG_LEVEL": "WARNING",
    "POWERTOOLS_METRICS_DISABLED": "true",
})


def _stand_in_jwks() -> str:
    """The stand-in's Cognito signs every pool's tokens with one published key; in-process (no
    HTTP server to fetch it from) the verifier reads it from a file."""
    import gzip
    import tempfile

    import moto.cognitoidp

    source = Path(moto.cognitoidp.__file__).parent / "resources" / "jwks-public.json.gz"
    target = Path(tempfile.gettempdir()) / f"touchengine-tests-jwks-{os.getpid()}.json"
    target.write_bytes(gzip.decompress(source.read_bytes()))
    return target.as_uri()


os.environ["COGNITO_JWKS_URL"] = _stand_in_jwks()



LAST = ("tests/e2e/test_burst_e2e.py",)


def pytest_collection_modifyitems(items):
    """The burst adds 100 borrowers to the stack every end-to-end and browser test shares: each
    later clock advance would play their sequences too (minutes of suite time), so it runs last."""
    items.sort(key=lambda item: item.nodeid.startswith(LAST))
