"""Installing and running: setup.sh's choices, bin/kiosk from any folder, the systemd unit.

setup.sh runs apt and pip, which a test cannot do here: these tests give it stand-ins for
dpkg, apt-get and Python on PATH that only record what they were asked, so they show what
setup.sh decides (which packages, which requirements file, where the venv goes)."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk import PROJECT_ROOT

FAKE_DPKG = """#!/bin/sh
# installed: every package named in $TOOLS/installed
grep -qx "$2" "$TOOLS/installed"
"""
FAKE_APT = """#!/bin/sh
echo "apt-get $*" >> "$TOOLS/calls"
"""
# A Python whose venv module is there only once python3-venv is "installed".
FAKE_PYTHON = """#!/bin/sh
case "$1 $2" in
  "-c import venv, ensurepip") grep -qx python3-venv "$TOOLS/installed" ;;
  "-c import sys"*) exit 0 ;;
  "-m venv") mkdir -p "$3/bin"; cp "$TOOLS/venv-python" "$3/bin/python" ;;
  *) exit 1 ;;
esac
"""
FAKE_VENV_PYTHON = """#!/bin/sh
case "$1" in
  -c) exit 0 ;;
  -m) echo "pip $*" >> "$TOOLS/calls" ;;
esac
"""


@pytest.fixture
def checkout(tmp_path):
    """setup.sh and the requirements in a folder of their own, with the stand-in tools."""
    folder = tmp_path / "checkout"
    folder.mkdir()
    for name in ("setup.sh", "requirements.txt", "requirements-test.txt"):
        shutil.copy(PROJECT_ROOT / name, folder / name)
    tools = tmp_path / "tools"
    tools.mkdir()
    for name, text in (("dpkg", FAKE_DPKG), ("apt-get", FAKE_APT), ("python3", FAKE_PYTHON),
                       ("venv-python", FAKE_VENV_PYTHON)):
        (tools / name).write_text(text)
        (tools / name).chmod(0o755)
    (tools / "calls").write_text("")
    return folder, tools


def run_setup(checkout, installed, *args, root=True):
    """setup.sh with only `installed` packages present; returns (result, calls made)."""
    folder, tools = checkout
    (tools / "installed").write_text("".join(f"{name}\n" for name in installed))
    env = {"PATH": f"{tools}:/usr/bin:/bin", "TOOLS": str(tools), "HOME": str(folder)}
    if not root:  # a stand-in `id` that says the user is not root, and no sudo
        (tools / "id").write_text("#!/bin/sh\necho 1000\n")
        (tools / "id").chmod(0o755)
        env["PATH"] = f"{tools}:{folder}/empty"
        for tool in ("bash", "dirname", "grep", "mkdir", "cp", "rm", "cat"):
            os.symlink(shutil.which(tool), tools / tool)
    result = subprocess.run(["bash", str(folder / "setup.sh"), *args], env=env, text=True,
                            capture_output=True, timeout=30)
    return result, (tools / "calls").read_text().splitlines()


SERVER_PACKAGES = ["espeak-ng", "libespeak-ng1", "fonts-dejavu-core", "fonts-noto-core"]


def test_without_the_venv_module_setup_installs_python3_venv_then_makes_its_venv(checkout):
    result, calls = run_setup(checkout, SERVER_PACKAGES)
    assert result.returncode == 0, result.stderr
    assert calls[0] == "apt-get update -qq"
    assert calls[1].startswith("apt-get install -y -qq --no-install-recommends")
    assert calls[1].split()[-1] == "python3-venv"
    assert calls[2].endswith("-m pip install --quiet --disable-pip-version-check "
                             "-r requirements.txt")
    assert (checkout[0] / ".venv" / "bin" / "python").exists()


def test_with_everything_installed_setup_asks_apt_for_nothing(checkout):
    result, calls = run_setup(checkout, SERVER_PACKAGES + ["python3-venv"])
    assert result.returncode == 0, result.stderr
    assert [call for call in calls if call.startswith("apt-get")] == []
    assert len(calls) == 1 and calls[0].endswith("-r requirements.txt")


def test_setup_for_the_tests_adds_their_packages_and_requirements(checkout):
    result, calls = run_setup(checkout, SERVER_PACKAGES + ["python3-venv"], "--test")
    assert result.returncode == 0, result.stderr
    assert calls[1].split()[-6:] == ["chromium", "sox", "redis-server",
                                     "webkit2gtk-driver", "xvfb", "libgl1-mesa-dri"]
    assert calls[-1].endswith("-r requirements-test.txt")


def test_setup_without_root_or_sudo_says_what_it_needs(checkout):
    result, calls = run_setup(checkout, SERVER_PACKAGES, root=False)
    assert result.returncode == 1
    assert "setup.sh needs root to install python3-venv" in result.stderr
    assert calls == []


def test_setup_refuses_an_unknown_option(checkout):
    result, _ = run_setup(checkout, SERVER_PACKAGES, "--tests")
    assert result.returncode == 2 and "usage: ./setup.sh [--test]" in result.stderr


def test_the_test_requirements_include_the_servers():
    lines = (PROJECT_ROOT / "requirements-test.txt").read_text().splitlines()
    assert "-r requirements.txt" in lines
    server = (PROJECT_ROOT / "requirements.txt").read_text()
    assert "pytest" not in server and "playwright" not in server
    assert "gunicorn==" in server


def test_ci_runs_the_readmes_test_command():
    command = "./setup.sh --test && bin/kiosk test"
    assert command in (PROJECT_ROOT / "README.md").read_text()
    assert (PROJECT_ROOT / ".ci" / "run").read_text().strip().endswith(command)


# ---------------------------------------------------------------- bin/kiosk

@pytest.fixture
def installed(tmp_path):
    """A checkout whose .venv is this test's Python: bin/kiosk, the code, an instance."""
    folder = tmp_path / "kiosk-code"
    (folder / "bin").mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "bin" / "kiosk", folder / "bin" / "kiosk")
    for name in ("kiosk", "content", "symbols", "run.py"):
        os.symlink(PROJECT_ROOT / name, folder / name)
    (folder / ".venv" / "bin").mkdir(parents=True)
    os.symlink(sys.executable, folder / ".venv" / "bin" / "python")
    # The venv this test runs in, seen from there: Python finds a venv by the pyvenv.cfg
    # beside its own bin folder, and its packages under lib/ (a symlinked interpreter
    # alone is the bare system Python on machines whose venvs link to it).
    venv = Path(sys.prefix)
    if (venv / "pyvenv.cfg").exists():
        shutil.copy(venv / "pyvenv.cfg", folder / ".venv" / "pyvenv.cfg")
        os.symlink(venv / "lib", folder / ".venv" / "lib")
    return folder


def kiosk_command(folder, *args, cwd="/", instance=None):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(folder)}
    if instance:
        env["KIOSK_INSTANCE_PATH"] = str(instance)
    return subprocess.run([str(folder / "bin" / "kiosk"), *args], cwd=cwd, env=env, text=True,
                          capture_output=True, timeout=60)


def test_bin_kiosk_runs_a_command_from_any_folder_with_nothing_activated(installed, tmp_path):
    result = kiosk_command(installed, "list-kiosks", instance=tmp_path / "instance")
    assert result.returncode == 0, result.stderr
    assert "No kiosks yet" in result.stdout


def test_bin_kiosk_in_a_folder_with_another_kiosk_package_uses_its_own(installed, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "kiosk").mkdir(parents=True)
    (elsewhere / "kiosk" / "__init__.py").write_text("raise SystemExit('the wrong kiosk')\n")
    result = kiosk_command(installed, "list-kiosks", cwd=elsewhere,
                           instance=tmp_path / "instance")
    assert result.returncode == 0, result.stderr
    assert "No kiosks yet" in result.stdout


def test_bin_kiosk_through_a_symlink_finds_its_checkout(installed, tmp_path):
    link = tmp_path / "worry-kiosk"
    os.symlink(installed / "bin" / "kiosk", link)
    result = subprocess.run([str(link), "list-kiosks"], cwd="/", text=True,
                            capture_output=True, timeout=60,
                            env={"PATH": "/usr/bin:/bin",
                                 "KIOSK_INSTANCE_PATH": str(tmp_path / "instance")})
    assert result.returncode == 0, result.stderr


def test_bin_kiosk_before_setup_says_to_run_it(installed):
    shutil.rmtree(installed / ".venv")
    result = kiosk_command(installed, "doctor")
    assert result.returncode == 1
    assert f"run {installed}/setup.sh first" in result.stderr


# ---------------------------------------------------------------- the systemd unit

def test_the_unit_runs_the_server_as_its_user_on_its_instance_and_restarts_it(runner):
    result = runner.invoke(args=["service", "unit", "--user", "kiosk-a", "--instance",
                                 "/var/lib/kiosk-a", "--https", "--tls-name", "kiosk.example"])
    unit = result.output
    assert "User=kiosk-a\n" in unit and "Group=kiosk-a\n" in unit
    assert "Environment=KIOSK_INSTANCE_PATH=/var/lib/kiosk-a\n" in unit
    assert "Restart=on-failure\n" in unit and "Type=notify\n" in unit
    assert (f"ExecStart={PROJECT_ROOT}/bin/kiosk run --host 0.0.0.0 --port 5000 --https "
            "--tls-name kiosk.example\n") in unit
    assert "WantedBy=multi-user.target" in unit


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_accepts_the_unit(runner, tmp_path):
    unit = tmp_path / "worry-kiosk.service"
    unit.write_text(runner.invoke(args=["service", "unit", "--user", "root"]).output)
    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True,
                            text=True, timeout=30)
    problems = [line for line in result.stderr.splitlines() if str(unit) in line]
    assert problems == []


def test_install_refuses_an_instance_folder_inside_the_code(runner):
    result = runner.invoke(args=["service", "install", "--instance",
                                 str(PROJECT_ROOT / "instance")])
    assert result.exit_code == 1
    message = "inside the code folder" if os.geteuid() == 0 else "run it as root"
    assert message in result.output
    assert not Path("/etc/systemd/system/worry-kiosk.service").exists() or os.geteuid() != 0


@pytest.mark.skipif(os.geteuid() != 0, reason="service install runs as root")
def test_install_writes_the_unit_and_points_bin_kiosk_at_the_service(runner, installed,
                                                                      tmp_path, monkeypatch):
    """As root, with the unit folder, the code folder and systemctl standing in (a test
    must not install a service on the machine running it): the account is root, which
    exists, so no user is made."""
    from kiosk.cli import service
    units = tmp_path / "systemd"
    units.mkdir()
    monkeypatch.setattr(service, "UNIT_FOLDER", str(units))
    monkeypatch.setattr(service, "PROJECT_ROOT", installed)
    monkeypatch.setattr(service, "ENV_FILE", installed / ".service.env")
    monkeypatch.setattr(service.shutil, "which", lambda name: None)  # no systemctl
    instance = tmp_path / "var-lib" / "worry-kiosk"
    result = runner.invoke(args=["service", "install", "--user", "root", "--instance",
                                 str(instance), "--host", "127.0.0.1"])
    assert result.exit_code == 0, result.output
    unit = (units / "worry-kiosk.service").read_text()
    assert f"ExecStart={installed}/bin/kiosk run --host 127.0.0.1 --port 5000\n" in unit
    assert f"ReadWritePaths={instance}\n" in unit
    assert instance.is_dir() and oct(instance.stat().st_mode & 0o777) == "0o750"
    assert "systemctl is not here" in result.output
    # bin/kiosk now works on the service's instance folder.
    listed = kiosk_command(installed, "list-kiosks")
    assert listed.returncode == 0, listed.stderr
    assert (instance / "kiosk.sqlite3").exists()
