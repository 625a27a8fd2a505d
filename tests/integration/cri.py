#!/usr/bin/python3
"""A small CRI client (Kubernetes' runtime.v1 over gRPC) for t-cri.sh: what the kubelet does,
one call at a time, no crictl. Run with Debian's /usr/bin/python3 (python3-grpcio,
python3-protobuf).

  cri.py SOCKET METHOD [REQUEST] [METHOD [REQUEST]]...
        call runtime.v1.RuntimeService/METHOD with REQUEST (the request message in proto3 JSON,
        field names as in api.proto; default {}), print the response the same way (one line);
        several calls are made in order, up to the first that fails
  cri.py SOCKET wait-exited CONTAINER_ID [TIMEOUT]
        ask ContainerStatus until the container has exited (the kubelet's way: the API has no
        wait), print its exit code; exit 1 on timeout
  cri.py SOCKET wait-up [TIMEOUT]
        wait until the runtime's gRPC server is ready, then print its Version (API v1)

No protoc: the messages are described here with the field numbers of the CRI API's
pkg/apis/runtime/v1/api.proto, only the fields the test uses (a runtime ignores none of them:
unset proto3 fields are absent on the wire either way). A gRPC error is one line on stderr,
`METHOD: CODE: details`, and exit status 2.
"""
import json
import sys
import time

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

PACKAGE = "runtime.v1"
SERVICE = PACKAGE + ".RuntimeService"

ENUMS = {
    "NamespaceMode": ["POD", "CONTAINER", "NODE", "TARGET"],
    "ProfileType": ["RuntimeDefault", "Unconfined", "Localhost"],
    "PodSandboxState": ["SANDBOX_READY", "SANDBOX_NOTREADY"],
    "ContainerState": ["CONTAINER_CREATED", "CONTAINER_RUNNING", "CONTAINER_EXITED",
                       "CONTAINER_UNKNOWN"],
}

# message: [(field, number, type)]; "*type" is repeated, "map" a map<string, string>, a
# capitalised type a message or an enum above.
MESSAGES = {
    "VersionRequest": [("version", 1, "string")],
    "VersionResponse": [("version", 1, "string"), ("runtime_name", 2, "string"),
                        ("runtime_version", 3, "string"),
                        ("runtime_api_version", 4, "string")],
    "Mount": [("container_path", 1, "string"), ("host_path", 2, "string"),
              ("readonly", 3, "bool")],
    "NamespaceOption": [("network", 1, "NamespaceMode"), ("pid", 2, "NamespaceMode"),
                        ("ipc", 3, "NamespaceMode"), ("target_id", 4, "string")],
    "SecurityProfile": [("profile_type", 1, "ProfileType"), ("localhost_ref", 2, "string")],
    "LinuxSandboxSecurityContext": [("namespace_options", 1, "NamespaceOption"),
                                    ("readonly_rootfs", 4, "bool"), ("privileged", 6, "bool"),
                                    ("seccomp", 9, "SecurityProfile")],
    "LinuxPodSandboxConfig": [("cgroup_parent", 1, "string"),
                              ("security_context", 2, "LinuxSandboxSecurityContext")],
    "PodSandboxMetadata": [("name", 1, "string"), ("uid", 2, "string"),
                           ("namespace", 3, "string"), ("attempt", 4, "uint32")],
    "PodSandboxConfig": [("metadata", 1, "PodSandboxMetadata"), ("hostname", 2, "string"),
                         ("log_directory", 3, "string"), ("labels", 6, "map"),
                         ("annotations", 7, "map"), ("linux", 8, "LinuxPodSandboxConfig")],
    "RunPodSandboxRequest": [("config", 1, "PodSandboxConfig"),
                             ("runtime_handler", 2, "string")],
    "RunPodSandboxResponse": [("pod_sandbox_id", 1, "string")],
    "StopPodSandboxRequest": [("pod_sandbox_id", 1, "string")],
    "StopPodSandboxResponse": [],
    "RemovePodSandboxRequest": [("pod_sandbox_id", 1, "string")],
    "RemovePodSandboxResponse": [],
    "PodSandboxStatusRequest": [("pod_sandbox_id", 1, "string"), ("verbose", 2, "bool")],
    "PodSandboxStatus": [("id", 1, "string"), ("metadata", 2, "PodSandboxMetadata"),
                         ("state", 3, "PodSandboxState"), ("annotations", 8, "map"),
                         ("runtime_handler", 9, "string")],
    "PodSandboxStatusResponse": [("status", 1, "PodSandboxStatus")],
    "PodSandboxFilter": [("id", 1, "string")],
    "ListPodSandboxRequest": [("filter", 1, "PodSandboxFilter")],
    "PodSandbox": [("id", 1, "string"), ("state", 3, "PodSandboxState"),
                   ("runtime_handler", 7, "string")],
    "ListPodSandboxResponse": [("items", 1, "*PodSandbox")],
    "ImageSpec": [("image", 1, "string")],
    "KeyValue": [("key", 1, "string"), ("value", 2, "string")],
    "LinuxContainerSecurityContext": [("privileged", 2, "bool"),
                                      ("namespace_options", 3, "NamespaceOption"),
                                      ("readonly_rootfs", 7, "bool"),
                                      ("no_new_privs", 11, "bool"),
                                      ("seccomp", 15, "SecurityProfile")],
    "LinuxContainerConfig": [("security_context", 2, "LinuxContainerSecurityContext")],
    "ContainerMetadata": [("name", 1, "string"), ("attempt", 2, "uint32")],
    "ContainerConfig": [("metadata", 1, "ContainerMetadata"), ("image", 2, "ImageSpec"),
                        ("command", 3, "*string"), ("args", 4, "*string"),
                        ("working_dir", 5, "string"), ("envs", 6, "*KeyValue"),
                        ("mounts", 7, "*Mount"), ("labels", 9, "map"),
                        ("annotations", 10, "map"), ("log_path", 11, "string"),
                        ("linux", 15, "LinuxContainerConfig")],
    "CreateContainerRequest": [("pod_sandbox_id", 1, "string"),
                               ("config", 2, "ContainerConfig"),
                               ("sandbox_config", 3, "PodSandboxConfig")],
    "CreateContainerResponse": [("container_id", 1, "string")],
    "StartContainerRequest": [("container_id", 1, "string")],
    "StartContainerResponse": [],
    "StopContainerRequest": [("container_id", 1, "string"), ("timeout", 2, "int64")],
    "StopContainerResponse": [],
    "RemoveContainerRequest": [("container_id", 1, "string")],
    "RemoveContainerResponse": [],
    "ContainerFilter": [("id", 1, "string"), ("pod_sandbox_id", 3, "string")],
    "ListContainersRequest": [("filter", 1, "ContainerFilter")],
    "Container": [("id", 1, "string"), ("pod_sandbox_id", 2, "string"),
                  ("metadata", 3, "ContainerMetadata"), ("state", 6, "ContainerState")],
    "ListContainersResponse": [("containers", 1, "*Container")],
    "ContainerStatusRequest": [("container_id", 1, "string"), ("verbose", 2, "bool")],
    "ContainerStatus": [("id", 1, "string"), ("metadata", 2, "ContainerMetadata"),
                        ("state", 3, "ContainerState"), ("exit_code", 7, "int32"),
                        ("reason", 10, "string"), ("message", 11, "string"),
                        ("log_path", 15, "string")],
    "ContainerStatusResponse": [("status", 1, "ContainerStatus")],
    "ExecSyncRequest": [("container_id", 1, "string"), ("cmd", 2, "*string"),
                        ("timeout", 3, "int64")],
    "ExecSyncResponse": [("stdout", 1, "bytes"), ("stderr", 2, "bytes"),
                         ("exit_code", 3, "int32")],
}

# The calls the test makes: METHOD -> (request, response).
METHODS = {
    name: (name + "Request", name + "Response")
    for name in ("Version", "RunPodSandbox", "StopPodSandbox", "RemovePodSandbox",
                 "PodSandboxStatus", "ListPodSandbox", "CreateContainer", "StartContainer",
                 "StopContainer", "RemoveContainer", "ListContainers", "ContainerStatus",
                 "ExecSync")
}

SCALARS = {
    "string": descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
    "bytes": descriptor_pb2.FieldDescriptorProto.TYPE_BYTES,
    "bool": descriptor_pb2.FieldDescriptorProto.TYPE_BOOL,
    "int32": descriptor_pb2.FieldDescriptorProto.TYPE_INT32,
    "int64": descriptor_pb2.FieldDescriptorProto.TYPE_INT64,
    "uint32": descriptor_pb2.FieldDescriptorProto.TYPE_UINT32,
}


def add_field(msg, name, number, typ):
    f = msg.field.add(name=name, number=number)
    F = descriptor_pb2.FieldDescriptorProto
    f.label = F.LABEL_REPEATED if typ.startswith("*") or typ == "map" else F.LABEL_OPTIONAL
    typ = typ.lstrip("*")
    if typ == "map":
        # A map is a repeated nested KeyEntry {key = 1; value = 2} marked map_entry.
        entry = msg.nested_type.add(name="".join(p.title() for p in name.split("_")) + "Entry")
        entry.options.map_entry = True
        add_field(entry, "key", 1, "string")
        add_field(entry, "value", 2, "string")
        f.type = F.TYPE_MESSAGE
        f.type_name = ".%s.%s.%s" % (PACKAGE, msg.name, entry.name)
    elif typ in SCALARS:
        f.type = SCALARS[typ]
    else:
        f.type = F.TYPE_ENUM if typ in ENUMS else F.TYPE_MESSAGE
        f.type_name = ".%s.%s" % (PACKAGE, typ)


def message_classes():
    fd = descriptor_pb2.FileDescriptorProto(name="octrace-cri.proto", package=PACKAGE,
                                            syntax="proto3")
    for name, values in ENUMS.items():
        e = fd.enum_type.add(name=name)
        for number, value in enumerate(values):
            e.value.add(name=value, number=number)
    for name, fields in MESSAGES.items():
        msg = fd.message_type.add(name=name)
        for field in fields:
            add_field(msg, *field)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    if hasattr(message_factory, "GetMessageClass"):
        get = message_factory.GetMessageClass
    else:  # protobuf < 4.22 (Debian 12's 3.21)
        get = message_factory.MessageFactory(pool).GetPrototype
    return {name: get(pool.FindMessageTypeByName(PACKAGE + "." + name)) for name in MESSAGES}


CLASSES = message_classes()


def to_json(msg):
    return json.dumps(json_format.MessageToDict(msg, preserving_proto_field_name=True),
                      sort_keys=True)


def call(channel, method, request, timeout=60):
    req_cls, resp_cls = (CLASSES[n] for n in METHODS[method])
    req = json_format.ParseDict(request, req_cls())
    stub = channel.unary_unary("/%s/%s" % (SERVICE, method),
                               request_serializer=req_cls.SerializeToString,
                               response_deserializer=resp_cls.FromString)
    return stub(req, timeout=timeout)


def wait_exited(channel, cid, timeout):
    deadline = time.monotonic() + timeout
    while True:
        st = call(channel, "ContainerStatus", {"container_id": cid}).status
        if st.state == ENUMS["ContainerState"].index("CONTAINER_EXITED"):
            print(st.exit_code)
            return 0
        if time.monotonic() > deadline:
            print("wait-exited: %s still %s after %g s" %
                  (cid, ENUMS["ContainerState"][st.state], timeout), file=sys.stderr)
            return 1
        time.sleep(0.05)


def wait_up(channel, timeout):
    try:
        grpc.channel_ready_future(channel).result(timeout=timeout)
        print(to_json(call(channel, "Version", {"version": "v1"}, timeout=timeout)))
    except grpc.FutureTimeoutError:
        print("wait-up: no answer in %g s" % timeout, file=sys.stderr)
        return 1
    return 0


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    channel = grpc.insecure_channel("unix://" + argv[1])
    what = argv[2]
    try:
        if what == "wait-exited":
            return wait_exited(channel, argv[3], float(argv[4]) if len(argv) > 4 else 30)
        if what == "wait-up":
            return wait_up(channel, float(argv[3]) if len(argv) > 3 else 20)
        args = argv[2:]
        while args:
            what = args.pop(0)
            if what not in METHODS:
                print("cri.py: unknown method %s" % what, file=sys.stderr)
                return 2
            request = json.loads(args.pop(0)) if args and args[0] not in METHODS else {}
            print(to_json(call(channel, what, request)), flush=True)
        return 0
    except grpc.RpcError as e:
        print("%s: %s: %s" % (what, e.code().name, e.details()), file=sys.stderr)
        return 2
    except (json_format.ParseError, json.JSONDecodeError) as e:
        print("%s: bad request: %s" % (what, e), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
