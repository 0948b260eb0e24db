"""Builds a tiny pure-Python wheel: argv[1] (else stdin, for a large
source) is JSON {name, version, requires, source, dir}; prints the wheel's
path. Shared by the benchmarks and the tests, which need wheels without
network."""
import base64, hashlib, sys, zipfile, json
spec = json.loads(sys.argv[1] if len(sys.argv) > 1 else sys.stdin.read())
name, version = spec["name"], spec["version"]
dist = name.replace("-", "_")
info = f"{dist}-{version}.dist-info"
files = {
    f"{dist}.py": spec["source"],
    f"{info}/METADATA": "Metadata-Version: 2.1\nName: %s\nVersion: %s\n%s\n" % (
        name, version, "".join("Requires-Dist: %s\n" % r for r in spec["requires"])),
    f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: runbox-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
files.update(spec.get("files") or {})  # more files at the wheel's root (a .pth, say)
record = []
path = f"{spec['dir']}/{dist}-{version}-py3-none-any.whl"
with zipfile.ZipFile(path, "w") as z:
    for file, text in files.items():
        data = text.encode()
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{file},sha256={digest},{len(data)}")
        z.writestr(file, data)
    record.append(f"{info}/RECORD,,")
    z.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
print(path)
