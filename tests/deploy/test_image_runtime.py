"""The image at run time, without a Docker engine: its HEALTHCHECK against the running service,
and its /app (laid out from the COPY lines) holding everything the service imports."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import time
from importlib import metadata
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from deploy.local.ports import free_port
from deploy.local.services import SERVICES
from tests.deploy.dockerfiles import REPO, Dockerfile, runtime_distributions


def _healthcheck_passes(command: list[str], environment: dict[str, str]) -> bool:
    return subprocess.run(command, env=environment, capture_output=True, timeout=30).returncode == 0


@pytest.mark.parametrize("name", SERVICES)
def test_image_healthcheck_tells_a_running_service_from_a_stopped_one(name: str) -> None:
    """Run the HEALTHCHECK command itself against the service, started with the image's ENV."""
    dockerfile = Dockerfile.of(name)
    (healthcheck,) = dockerfile.instruction("HEALTHCHECK")
    command = json.loads(healthcheck.split(" CMD ", 1)[1])
    assert command[0] == "python" and "urllib.request" in " ".join(command)
    command[0] = sys.executable
    port, closed = free_port(), free_port()
    environment = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(REPO),
        **dockerfile.environment,
        f"{name.upper()}_HTTP_HOST": "127.0.0.1",  # the container's 0.0.0.0, on loopback only
        f"{name.upper()}_HTTP_PORT": str(port),
        "INTAKE_SMTP_PORT": str(free_port()),
        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{closed}",  # alive does not need Kafka or Mongo
        "MONGODB_URL": f"mongodb://127.0.0.1:{closed}/?directConnection=true",
        "ALLOW_DEVELOPMENT_SECRETS": "true",  # the image itself refuses them (test below)
    }
    assert not _healthcheck_passes(command, environment), "healthy with nothing running"
    service = subprocess.Popen(
        [sys.executable, "-m", f"services.{name}"],
        cwd=REPO,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not _healthcheck_passes(command, environment):
            assert service.poll() is None, f"{name} exited with {service.returncode}"
            assert time.monotonic() < deadline, f"{name} never passed its healthcheck"
            time.sleep(0.3)
    finally:
        service.terminate()
        try:
            service.wait(timeout=20)
        except subprocess.TimeoutExpired:
            service.kill()
            service.wait()
    assert not _healthcheck_passes(command, environment), "still healthy once stopped"


@pytest.mark.parametrize("name", SERVICES)
def test_the_image_refuses_to_start_with_the_development_secrets(name: str) -> None:
    """Run as the image runs it (its own environment, no secrets of a deployment given): the
    service stops at once and says which secrets to set, without their values."""
    environment = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(REPO),
        **Dockerfile.of(name).environment,
    }
    assert "ALLOW_DEVELOPMENT_SECRETS" not in environment
    refused = subprocess.run(
        [sys.executable, "-m", f"services.{name}"],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode != 0
    assert f"{name} refuses to start with the development secrets of" in refused.stderr
    assert "STAFF_TOKEN" in refused.stderr and "dev-staff-token" not in refused.stderr


PROBE = """
import json, sys
sys.meta_path[:] = [f for f in sys.meta_path if "__editable__" not in getattr(f, "__module__", "")]
before = set(sys.modules)
import services.{name}.__main__ as main
from shared.settings import ServiceSettings
settings = [v for v in vars(main).values() if isinstance(v, type) and issubclass(v, ServiceSettings)]
main.create_app(max(settings, key=lambda cls: len(cls.__mro__))())  # wiring's own imports too
outside = sorted(
    name for name, module in list(sys.modules.items())
    if name.split(".")[0] in ("services", "shared")
    and not (getattr(module, "__file__", None) or "").startswith(sys.argv[1])
)
loaded = {{
    name: getattr(sys.modules[name], "__file__", None)
    for name in {{module.split(".")[0] for module in set(sys.modules) - before}}
    if name in sys.modules
}}
print(json.dumps({{"outside": outside, "loaded": loaded}}))
"""


@pytest.mark.parametrize("name", SERVICES)
def test_the_image_layout_holds_everything_the_service_imports(name: str, tmp_path: Path) -> None:
    """Lay out /app from the COPY lines; the service must import from it and runtime deps only."""
    app = tmp_path / "app"
    app.mkdir()
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    for sources, destination in Dockerfile.of(name).copies:
        for source in sources:
            origin = REPO / source
            target = app / destination
            if origin.is_dir():
                shutil.copytree(origin, target, ignore=skip, dirs_exist_ok=True)
            else:
                target = target / origin.name if destination.endswith("/") else target
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, target)
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(name=name), str(app.resolve())],
        cwd=app,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe["outside"] == [], "imported from outside the image"
    provided = metadata.packages_distributions()
    runtime = runtime_distributions()
    standard = {Path(sysconfig.get_paths()[key]).resolve() for key in ("stdlib", "platstdlib")}
    for module, file in sorted(probe["loaded"].items()):
        if module in {"services", "shared"} or module in sys.stdlib_module_names:
            continue
        if file is None or standard & set(Path(file).resolve().parents):
            continue  # built into the interpreter, or the standard library's own
        distributions = {canonicalize_name(d) for d in provided.get(module, [])}
        assert distributions, f"{module} ({file}): imported by {name}, from no distribution"
        assert distributions & runtime, f"{module} ({distributions}) is not a runtime dependency"
