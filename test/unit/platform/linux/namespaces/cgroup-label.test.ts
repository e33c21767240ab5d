import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { containerFromCgroup } from '../../../../../main/platform/linux/namespaces/cgroup-label';

/** Modelled on each engine's cgroup layout (see test/fixtures/cgroup/README.md). */
const fixture = (name: string) => readFileSync(new URL(`../../../../fixtures/cgroup/${name}`, import.meta.url), 'utf8');

describe('containerFromCgroup', () => {
  it('names a Docker container from the cgroup v1 lines of the cgroupfs driver', () => {
    expect(containerFromCgroup(fixture('docker-v1-cgroupfs.txt'))).toEqual({
      kind: 'docker',
      engine: 'docker',
      containerId: '3f2a1b9c0d4e9b8bc9b7fba0ab5aa37f28351f938c773b284a26ad9491afabff',
      podUid: null,
      label: 'docker 3f2a1b9c0d4e',
    });
  });

  it("names a Docker container from the systemd driver's docker-<id>.scope (cgroup v2)", () => {
    expect(containerFromCgroup(fixture('docker-v2-systemd.txt'))).toMatchObject({ kind: 'docker', label: 'docker 20624e991494' });
  });

  it('names a Docker container under the cgroupfs driver on cgroup v2', () => {
    const id = 'a'.repeat(64);
    expect(containerFromCgroup(`0::/docker/${id}\n`)).toMatchObject({ kind: 'docker', containerId: id });
  });

  it("names a Kubernetes pod and container under containerd with the systemd driver, restoring the uid's dashes", () => {
    expect(containerFromCgroup(fixture('kubernetes-containerd-v2-systemd.txt'))).toEqual({
      kind: 'kubernetes',
      engine: 'containerd',
      containerId: '1f37fc5b20df4b2b17c2e2060275715bce38bbde9bb075c0d308b8c9b1409b6a',
      podUid: '5f2c1a8e-9b3d-4c7a-8e1f-2a6b9c0d3e4f',
      label: 'pod 5f2c1a8e… container 1f37fc5b20df',
    });
  });

  it('names a Kubernetes pod and container with the cgroupfs driver (cgroup v1), whatever the runtime', () => {
    expect(containerFromCgroup(fixture('kubernetes-containerd-v1-cgroupfs.txt'))).toEqual({
      kind: 'kubernetes',
      engine: null,
      containerId: 'b026fbd6d6e6d7c7d375c518750876e3539be140975d863ee17d7f724885cc61',
      podUid: '7c0e4b2d-1a9f-4e3b-b5c6-8d7e6f5a4b3c',
      label: 'pod 7c0e4b2d… container b026fbd6d6e6',
    });
  });

  it('names a CRI-O container of a Guaranteed pod (kubepods-pod<uid>.slice)', () => {
    expect(containerFromCgroup(fixture('kubernetes-crio-v2-systemd.txt'))).toMatchObject({
      kind: 'kubernetes',
      engine: 'cri-o',
      podUid: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
      label: 'pod 0a1b2c3d… container 0c56cd652bb9',
    });
  });

  it('names a CRI-O container outside Kubernetes as a container', () => {
    const id = 'b'.repeat(64);
    expect(containerFromCgroup(`0::/machine.slice/crio-${id}.scope\n`)).toMatchObject({ kind: 'container', engine: 'cri-o', label: 'cri-o bbbbbbbbbbbb' });
  });

  it("names a podman container from its scope's child cgroup", () => {
    expect(containerFromCgroup(fixture('podman-v2-rootful.txt'))).toEqual({
      kind: 'container',
      engine: 'podman',
      containerId: 'd1bd357affd860dc1c6320f0b639866238dd4961d4d003dff3b66618f580d2ba',
      podUid: null,
      label: 'podman d1bd357affd8',
    });
  });

  it('names a podman container under the cgroupfs driver (libpod_parent)', () => {
    const id = 'c'.repeat(64);
    expect(containerFromCgroup(`0::/libpod_parent/libpod-${id}\n`)).toMatchObject({ engine: 'podman', containerId: id });
  });

  it.each(['crio-conmon-v2.txt', 'podman-conmon-v2.txt'])('does not take a container monitor (%s) for the container', (name) => {
    expect(containerFromCgroup(fixture(name))).toBeNull();
  });

  it.each(['systemd-user-session-v1.txt', 'systemd-user-session-v2.txt'])('finds no container in a login session (%s)', (name) => {
    expect(containerFromCgroup(fixture(name))).toBeNull();
  });

  it('takes the innermost container of a nested one (Docker in Docker)', () => {
    const outer = '1'.repeat(64);
    const inner = '2'.repeat(64);
    expect(containerFromCgroup(`0::/docker/${outer}/docker/${inner}\n`)).toMatchObject({ containerId: inner });
  });

  it('finds nothing in the root cgroup, a cgroup namespace, garbage or an empty file', () => {
    for (const text of ['0::/\n', '', 'garbage', '0::/system.slice/docker.service\n', `0::/${'d'.repeat(64)}\n`, `0::/docker/${'e'.repeat(63)}\n`]) {
      expect(containerFromCgroup(text)).toBeNull();
    }
  });

  it('ignores upper-case or longer ids (engines write 64 lower-case hex)', () => {
    expect(containerFromCgroup(`0::/system.slice/docker-${'A'.repeat(64)}.scope\n`)).toBeNull();
    expect(containerFromCgroup(`0::/system.slice/docker-${'a'.repeat(65)}.scope\n`)).toBeNull();
  });
});
