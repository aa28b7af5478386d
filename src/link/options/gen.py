#!/usr/bin/env python3
# SPDX-License-Identifier: MIT OR Apache-2.0
"""Regenerates the ld.lld option spellings src/link/options.rs includes.

    python3 src/link/options/gen.py ld.lld-19 > src/link/options/lld.rs

Reads the option table (LLVM OptTable `Info` rows) compiled into the given
ld.lld's ELF driver and prints one `("name", Dash, Form)` row per spelling
family, sorted by name bytes, as a Rust slice expression.

Why the binary and not `ld.lld --help`: --help leaves out hidden options
(every `-plugin-opt=...`), options without help text and most aliases, and
does not say which dash prefixes or value forms an option accepts; lld itself
parses with exactly this table. lld/ELF/Options.td is the upstream source of
the same rows: its F/FF/J/JJ/Eq/EEq/B/BB helper classes give the prefixes and
forms read here.

Rows, as in Options.td: name without dashes; Dash One (`-`), Two (`--`) or
Both; Form from the OptTable kind. A Joined `X=` and a Separate `X` with the
same dashes (the Eq/EEq multiclasses and the hand-written --output,
--library, ... pairs) fold into one `EqForm` row `X`. <input>/<unknown> rows
are not options and are left out.

What each option means to the shim (its Effect) is hand-written in
src/link/options.rs and joined by name; this script only reads lld.

Supported: the OptTable layouts of LLVM 14-15, 16 and 19 (x86_64 or aarch64
ELF, PIE or not, RELA or RELR relocations); any other layout is an error, not
a guess. Needs only Python 3's standard library.
"""

import os
import shutil
import struct
import subprocess
import sys

# llvm::opt::Option::OptionClass
KIND_INPUT, KIND_UNKNOWN = 1, 2
FORMS = {3: "Flag", 4: "Joined", 6: "Separate", 11: "JoinedOrSeparate"}

# OptTable::Info field offsets, per LLVM release. `strings` is how Prefixes
# and the name are stored: "cstr" (LLVM <= 15: char *const *Prefixes,
# null-terminated, and char *Name), "ref" (16: ArrayRef<StringLiteral>
# Prefixes, StringRef Name), "prefixed" (19: ArrayRef<StringLiteral>
# Prefixes, StringLiteral PrefixedName = first prefix + name).
LAYOUTS = [
    dict(llvm="14-15", size=64, strings="cstr", prefixes=0, name=8, id=32, kind=36),
    dict(llvm="16", size=80, strings="ref", prefixes=0, name=16, id=48, kind=52),
    dict(llvm="19", size=104, strings="prefixed", prefixes=0, name=16, id=64, kind=68),
]

# Spellings only lld's ELF driver has (COFF, MinGW, Mach-O and wasm tables
# live in the same binary).
ELF_ONLY = {"EL", "Ttext", "icf=all", "z"}

RELATIVE = {62: 8, 183: 1027}  # e_machine -> R_*_RELATIVE


class GenError(Exception):
    pass


class Image:
    """The ld.lld file as its loaded memory: PT_LOAD mapping, RELA relative
    relocations applied (RELR ones already hold their addend in place)."""

    def __init__(self, path):
        with open(path, "rb") as f:
            self.data = f.read()
        d = self.data
        if d[:4] != b"\x7fELF" or d[4] != 2 or d[5] != 1:
            raise GenError(f"{path}: not a 64-bit little-endian ELF file")
        (machine,) = struct.unpack_from("<H", d, 0x12)
        if machine not in RELATIVE:
            raise GenError(f"{path}: unsupported ELF machine {machine}")
        (phoff,) = struct.unpack_from("<Q", d, 0x20)
        (shoff,) = struct.unpack_from("<Q", d, 0x28)
        phentsize, phnum, shentsize, shnum = struct.unpack_from("<HHHH", d, 0x36)
        self.loads = []
        for i in range(phnum):
            p_type, _, off, vaddr, _, filesz, _, _ = struct.unpack_from(
                "<IIQQQQQQ", d, phoff + i * phentsize
            )
            if p_type == 1:
                self.loads.append((vaddr, off, filesz))
        self.relocs = {}
        self.data_ranges = []
        for i in range(shnum):
            _, sh_type, flags, _, off, size, _, _, _, entsize = struct.unpack_from(
                "<IIQQQQIIQQ", d, shoff + i * shentsize
            )
            if sh_type == 4 and entsize == 24:  # SHT_RELA
                for r in range(size // 24):
                    r_off, info, addend = struct.unpack_from("<QQq", d, off + r * 24)
                    if info & 0xFFFFFFFF == RELATIVE[machine]:
                        self.relocs[r_off] = addend
            # allocated, not executable, with file contents: where a table can be
            if sh_type == 1 and flags & 0x2 and not flags & 0x4:
                self.data_ranges.append((off, size))

    def to_file(self, vaddr):
        for va, off, size in self.loads:
            if va <= vaddr < va + size:
                return vaddr - va + off
        raise GenError(f"address {vaddr:#x} is outside the file")

    def to_vaddr(self, off):
        for va, foff, size in self.loads:
            if foff <= off < foff + size:
                return off - foff + va
        return None

    def ptr(self, off):
        va = self.to_vaddr(off)
        if va in self.relocs:
            return self.relocs[va]
        return struct.unpack_from("<Q", self.data, off)[0]

    def u32(self, off):
        return struct.unpack_from("<I", self.data, off)[0]

    def u8(self, off):
        return self.data[off]

    def cstr(self, vaddr):
        f = self.to_file(vaddr)
        end = self.data.index(b"\0", f)
        return self.data[f:end].decode()

    def bytes_at(self, vaddr, n):
        f = self.to_file(vaddr)
        return self.data[f : f + n].decode()


def read_row(img, lay, rec):
    """(prefixes, name, kind) of the Info row at file offset rec."""
    kind = img.u8(rec + lay["kind"])
    if lay["strings"] == "cstr":
        prefixes = []
        p = img.ptr(rec + lay["prefixes"])
        if p:
            f = img.to_file(p)
            while True:
                s = img.ptr(f)
                if not s:
                    break
                prefixes.append(img.cstr(s))
                f += 8
        name_ptr = img.ptr(rec + lay["name"])
        name = img.cstr(name_ptr) if name_ptr else ""
    else:
        arr, count = img.ptr(rec + lay["prefixes"]), img.ptr(rec + lay["prefixes"] + 8)
        prefixes = []
        if count:
            f = img.to_file(arr)
            for i in range(count):
                prefixes.append(img.bytes_at(img.ptr(f + 16 * i), img.ptr(f + 16 * i + 8)))
        name_ptr, name_len = img.ptr(rec + lay["name"]), img.ptr(rec + lay["name"] + 8)
        name = img.bytes_at(name_ptr, name_len) if name_len else ""
        if lay["strings"] == "prefixed" and prefixes:
            if not name.startswith(prefixes[0]):
                raise GenError(f"option {name!r} does not start with its prefix {prefixes[0]!r}")
            name = name[len(prefixes[0]) :]
    return prefixes, name, kind


def tables(img, lay):
    """Every OptTable of this layout in the image: runs of rows whose IDs
    count up from 1 (<input>) and 2 (<unknown>)."""
    size, id_off, kind_off = lay["size"], lay["id"], lay["kind"]
    for start, length in img.data_ranges:
        end = start + length
        rec = start
        while rec + 2 * size <= end:
            if (
                img.u32(rec + id_off) == 1
                and img.u8(rec + kind_off) == KIND_INPUT
                and img.u32(rec + size + id_off) == 2
                and img.u8(rec + size + kind_off) == KIND_UNKNOWN
            ):
                rows = []
                r, want = rec, 1
                while r + size <= end and img.u32(r + id_off) == want:
                    rows.append(r)
                    r += size
                    want += 1
                yield rows
                rec = r
            else:
                rec += 8


def elf_options(path):
    img = Image(path)
    found = []
    for lay in LAYOUTS:
        for rows in tables(img, lay):
            try:
                parsed = [read_row(img, lay, r) for r in rows]
            except (GenError, UnicodeDecodeError, ValueError, struct.error):
                continue  # not this layout: its "pointers" are not strings
            names = {n for _, n, _ in parsed}
            if ELF_ONLY <= names:
                found.append((lay, parsed))
    if len(found) != 1:
        layouts = ", ".join(f"LLVM {l['llvm']}" for l in LAYOUTS)
        raise GenError(
            f"{path}: found {len(found)} ELF option tables of a known layout ({layouts}), want exactly 1"
        )
    return found[0][1]


def rows_of(parsed):
    dash_of = {("-",): "One", ("--",): "Two", ("-", "--"): "Both"}
    rows = {}
    for prefixes, name, kind in parsed:
        if kind in (KIND_INPUT, KIND_UNKNOWN):
            continue
        if kind not in FORMS:
            raise GenError(f"option {name!r} has OptTable kind {kind}, which the shim cannot read")
        dash = dash_of.get(tuple(sorted(set(prefixes))))
        if dash is None:
            raise GenError(f"option {name!r} has prefixes {prefixes}, not - or --")
        if name in rows:
            raise GenError(f"option {name!r} appears twice")
        if not name or not all(c.isascii() and c.isprintable() and c not in '"\\' for c in name):
            raise GenError(f"option {name!r} cannot be written as a plain Rust string")
        rows[name] = (dash, FORMS[kind])
    for name in list(rows):
        joined = rows.get(name + "=")
        if rows[name][1] == "Separate" and joined == (rows[name][0], "Joined"):
            del rows[name + "="]
            rows[name] = (rows[name][0], "EqForm")
    return sorted(rows.items(), key=lambda kv: kv[0].encode())


def resolve(arg):
    path = arg if "/" in arg else shutil.which(arg)
    if not path or not os.path.isfile(path):
        name = os.path.basename(arg)
        package = "lld-" + name[len("ld.lld-") :] if name.startswith("ld.lld-") else "lld"
        raise GenError(f"{arg}: not found (apt-get install {package})")
    return path


def version(path):
    out = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)
    line = out.stdout.strip().splitlines()[0] if out.stdout.strip() else ""
    if out.returncode != 0 or "LLD" not in line:
        said = line or out.stderr.strip() or f"exit status {out.returncode}, no output"
        raise GenError(f"{path} --version: not an ld.lld ({said})")
    return line.replace(" (compatible with GNU linkers)", "")


def render(ver, rows):
    out = [
        "// @generated by src/link/options/gen.py from ld.lld's own option table: do not edit.",
        f"// Source: {ver} (`python3 src/link/options/gen.py ld.lld-N`).",
        f"// {len(rows)} rows, {sum(1 for _, (_, f) in rows if f == 'EqForm')} of them folded Eq pairs.",
        "&[",
    ]
    for name, (dash, form) in rows:
        out.append(f'    ("{name}", {dash}, {form}),')
    out.append("]")
    return "\n".join(out) + "\n"


def main(argv):
    if len(argv) != 2 or argv[1].startswith("-"):
        sys.stderr.write("usage: gen.py LD_LLD   (e.g. ld.lld-19 or /usr/lib/llvm-19/bin/ld.lld)\n")
        return 2
    try:
        path = resolve(argv[1])
        ver = version(path)
        real = os.path.realpath(path)
        try:
            parsed = elf_options(real)
        except (struct.error, IndexError, ValueError) as e:
            raise GenError(f"{real}: malformed ELF file ({e})") from e
        text = render(ver, rows_of(parsed))
    except (GenError, OSError) as e:
        sys.stderr.write(f"gen.py: {e}\n")
        return 1
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
