"""The sandbox contract's own checks: names, arguments, limits and the JSON round trip."""

from __future__ import annotations

import pytest

from sandbox import InvalidSpec, Limits, RunResult, RunSpec, Status
from sandbox.languages import get_language, language_names


@pytest.mark.parametrize("name", ["main.py\n", "a/b.py", "../x", "..", ".hidden", "-rf",
                                  "x" * 101, "", "mai n.py", "é.py", "a\x00"])
def test_unsafe_file_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidSpec):
        RunSpec(language="python3", files={name: "pass"}).validate()
    with pytest.raises(InvalidSpec):
        RunSpec(language="python3", files={"main.py": "pass"}, collect=(name,)).validate()


def test_arguments_limits_and_entry_are_checked() -> None:
    ok = RunSpec(language="python3", files={"main.py": "pass"}, args=("--x", "é"))
    ok.validate()
    bad = [
        RunSpec(language="python3", files={"main.py": "pass"}, args=("a\x00b",)),
        RunSpec(language="python3", files={"main.py": "pass"}, args=("x" * 5000,)),
        RunSpec(language="python3", files={"main.py": "pass"}, entry="other.py"),
        RunSpec(language="python3", files={}),
        RunSpec(language="python3", files={"main.py": "pass"}, limits=Limits(cpu_seconds=0)),
        RunSpec(language="python3", files={"main.py": "pass"}, limits=Limits(memory_mb=10**6)),
        RunSpec(language="python3", files={"main.py": "pass"}, limits=Limits(processes=0)),
    ]
    for spec in bad:
        with pytest.raises(InvalidSpec):
            spec.validate()
    with pytest.raises(InvalidSpec):
        get_language("cobol")


def test_defaults_follow_the_contract() -> None:
    limits = Limits()
    assert (limits.cpu_seconds, limits.wall, limits.memory_mb, limits.output_bytes) == (
        2.0, 5.0, 256, 64 * 1024)
    assert Limits(cpu_seconds=3).wall == 7
    assert language_names() == ["c", "cpp", "java", "javascript", "python3"]
    assert get_language("java").default_entry == "Main.java"


def test_specs_and_results_survive_a_json_round_trip() -> None:
    spec = RunSpec(language="c", files={"main.c": b"\x00\xffint main(){}"}, stdin="é",
                   args=("1",), limits=Limits(cpu_seconds=1.5, memory_mb=64), collect=("o",))
    assert RunSpec.from_dict(spec.to_dict()) == RunSpec(
        language="c", files={"main.c": b"\x00\xffint main(){}"}, stdin="é".encode(),
        args=("1",), limits=Limits(cpu_seconds=1.5, memory_mb=64), collect=("o",))
    result = RunResult(status=Status.TIME_LIMIT, signal=9, stdout="a", cpu_ms=3,
                       files={"o": b"\x01"})
    data = result.to_dict()
    assert data["status"] == "time_limit" and data["exit_code"] is None
    assert set(data) == {"status", "exit_code", "signal", "stdout", "stderr", "truncated",
                         "compile_output", "cpu_ms", "wall_ms", "memory_kb", "files"}
    assert RunResult.from_dict(data) == result
    with pytest.raises(InvalidSpec):
        RunSpec.from_dict({"language": "c", "files": {"a": "!!not base64"}})
