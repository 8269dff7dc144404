"""The network: no route out of the sandbox, the host's loopback services included (the
test's TCP, UDP and unix listeners, Redis, PostgreSQL, Docker's API), no DNS, no raw
sockets."""

from __future__ import annotations

from tests.sandbox.hostile.harness import (
    BackendUnderTest,
    describe,
    python_spec,
    require_probes,
    run_contained,
    succeeded,
)
from tests.sandbox.hostile.host import HostGuard


def test_tcp_to_host_loopback_services_fails(backend: BackendUnderTest, host: HostGuard) -> None:
    result = run_contained(backend, python_spec("tcp_connect_host", host.context()))
    assert result.status == "ok", describe(result)
    require_probes(result, "tcp:127.0.0.1:6379", "tcp:127.0.0.1:5432")
    assert not succeeded(result, "tcp:"), describe(result)
    host.verify(result)


def test_unix_sockets_of_the_host_are_unreachable(backend: BackendUnderTest,
                                                  host: HostGuard) -> None:
    result = run_contained(backend, python_spec("unix_connect_host", host.context()))
    assert result.status == "ok", describe(result)
    require_probes(result, "unix:'/var/run/docker.sock'")
    assert not succeeded(result, "unix:"), describe(result)
    host.verify(result)


def test_udp_to_the_host_arrives_nowhere(backend: BackendUnderTest, host: HostGuard) -> None:
    result = run_contained(backend, python_spec("udp_send_host", host.context()))
    assert result.status == "ok", describe(result)
    assert not require_probes(result, "udp_reply")["udp_reply"].ok, describe(result)
    host.verify(result)  # the host's UDP sockets received nothing


def test_dns_resolves_nothing(backend: BackendUnderTest, host: HostGuard) -> None:
    result = run_contained(backend, python_spec("dns_lookup", host.context()))
    assert result.status == "ok", describe(result)
    require_probes(result, "resolve:example.com", "dns:1.1.1.1")
    assert not succeeded(result, "resolve:") and not succeeded(result, "dns:"), describe(result)
    host.verify(result)


def test_public_addresses_are_unreachable(backend: BackendUnderTest, host: HostGuard) -> None:
    result = run_contained(backend, python_spec("public_ip_connect", host.context()))
    assert result.status == "ok", describe(result)
    require_probes(result, "connect:1.1.1.1:443")
    assert not succeeded(result, "connect:"), describe(result)
    host.verify(result)


def test_packet_and_raw_sockets_are_refused(backend: BackendUnderTest, host: HostGuard) -> None:
    result = run_contained(backend, python_spec("raw_sockets", host.context()))
    assert result.status == "ok", describe(result)
    found = require_probes(result, "socket:packet_raw", "socket:inet_raw_icmp")
    for name in ("packet_raw", "packet_dgram", "inet_raw_icmp", "inet_raw_raw", "inet6_raw_icmp"):
        assert not found[f"socket:{name}"].ok, describe(result)
    host.verify(result)
