#!/usr/bin/env python3
"""Checks the source layout rules of docs/ARCHITECTURE.md (run by ctest as layout_check).

- No source folder holds more than 15 .cc/.h files.
- Nothing in driver/ or kvstore/ includes a hil/ header.
- kvstore/ uses only the Flash seam and the vocabulary types from driver/.
- Within driver/ and hil/, a component includes only its own headers and those of the
  components its CMakeLists.txt names (the compiler enforces this too, since each
  component exports only its own include/ directory; this names the offender).
- No function is longer than 80 lines (signature to closing brace).

Prints one line per violation (file:line: what) and exits 1 if there is any.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE_TREES = ["driver", "kvstore", "hil", "tests", "bench", "examples"]
MAX_FILES_PER_FOLDER = 15
MAX_FUNCTION_LINES = 80
# What kvstore/ may include from driver/: the Flash seam and the vocabulary.
KVSTORE_DRIVER_ALLOWED = {
    "flashrig/driver/flash/flash.h",
    "flashrig/driver/flash/status.h",
    "flashrig/driver/flash/result.h",
    "flashrig/driver/flash/clock.h",
    "flashrig/driver/flash/random.h",
}
INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def source_files():
    for tree in SOURCE_TREES:
        for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, tree)):
            dirnames[:] = [d for d in dirnames if not d.startswith((".", "build"))]
            for name in sorted(filenames):
                if name.endswith((".cc", ".h")):
                    yield os.path.join(dirpath, name)


def rel(path):
    return os.path.relpath(path, ROOT)


def check_folder_sizes(files, problems):
    counts = {}
    for f in files:
        counts.setdefault(os.path.dirname(f), []).append(f)
    for folder, members in sorted(counts.items()):
        if len(members) > MAX_FILES_PER_FOLDER:
            problems.append(f"{rel(folder)}: {len(members)} .cc/.h files "
                            f"(at most {MAX_FILES_PER_FOLDER})")


def component_of(path):
    """('driver', 'flash') for driver/flash/..., ('kvstore', None), or None."""
    parts = rel(path).split(os.sep)
    if parts[0] in ("driver", "hil") and len(parts) > 2:
        return parts[0], parts[1]
    if parts[0] == "kvstore":
        return "kvstore", None
    return None


def declared_deps():
    """Component -> the flashrig targets its CMakeLists.txt links (transitively)."""
    direct = {}
    for layer in ("driver", "hil"):
        for comp in os.listdir(os.path.join(ROOT, layer)):
            cmake = os.path.join(ROOT, layer, comp, "CMakeLists.txt")
            if os.path.isfile(cmake):
                text = open(cmake, encoding="utf-8").read()
                direct[f"flashrig_{layer}_{comp}"] = set(re.findall(r"\b(flashrig_\w+)", text))
    direct["flashrig_kvstore"] = {"flashrig_driver_flash"}
    # The layer umbrellas (flashrig_driver, flashrig_hil) link their components.
    for layer in ("driver", "hil"):
        text = open(os.path.join(ROOT, layer, "CMakeLists.txt"), encoding="utf-8").read()
        m = re.search(rf"target_link_libraries\(flashrig_{layer} INTERFACE([^)]*)\)", text)
        direct[f"flashrig_{layer}"] = set(re.findall(r"\b(flashrig_\w+)", m.group(1))) if m else set()

    def closure(target, seen):
        for dep in direct.get(target, ()):
            if dep not in seen:
                seen.add(dep)
                closure(dep, seen)
        return seen

    return {t: closure(t, {t}) for t in direct}


def check_includes(files, problems):
    deps = declared_deps()
    for f in files:
        comp = component_of(f)
        if comp is None:
            continue
        layer, name = comp
        text = open(f, encoding="utf-8").read()
        for m in INCLUDE_RE.finditer(text):
            inc = m.group(1)
            line = text.count("\n", 0, m.start()) + 1
            where = f"{rel(f)}:{line}"
            if layer in ("driver", "kvstore") and inc.startswith("flashrig/hil/"):
                problems.append(f"{where}: {layer}/ includes hil/ header {inc}")
            if layer == "kvstore" and inc.startswith("flashrig/driver/") \
                    and inc not in KVSTORE_DRIVER_ALLOWED:
                problems.append(f"{where}: kvstore/ may use only the Flash seam and "
                                f"vocabulary from driver/, not {inc}")
            hm = re.match(r"flashrig/(driver|hil)/(\w+)/", inc)
            if hm and layer != "kvstore":
                target = f"flashrig_{hm.group(1)}_{hm.group(2)}"
                own = f"flashrig_{layer}_{name}"
                if own in deps and target not in deps[own]:
                    problems.append(f"{where}: {layer}/{name} includes {inc} but its "
                                    f"CMakeLists.txt does not link {target}")


def strip_comments_and_strings(text):
    """Blanks comments, string and char literals, keeping newlines (line numbers)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif text.startswith('R"', i):
            m = re.match(r'R"([^(]*)\(', text[i:])
            end = text.find(")" + m.group(1) + '"', i) if m else -1
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


SCOPE_RE = re.compile(r"\b(namespace|class|struct|union|enum)\b")


def check_function_lengths(files, problems):
    for f in files:
        text = strip_comments_and_strings(open(f, encoding="utf-8").read())
        # Stack of (kind, start_line, header) for open braces; kind is 'scope',
        # 'function' or 'block' (anything inside a function, or an initializer).
        stack = []
        last_stop = 0  # Index after the last ';', '{' or '}' at this level.
        line = 1
        for i, c in enumerate(text):
            if c == "\n":
                line += 1
            elif c == "{":
                header = text[last_stop:i]
                in_function = any(kind == "function" for kind, _, _ in stack)
                if in_function:
                    kind = "block"
                elif SCOPE_RE.search(header) and "(" not in header.split("{")[0]:
                    kind = "scope"
                elif re.search(r"\)\s*(const|override|final|noexcept|mutable|->[^{]*)*\s*$",
                               header) or re.search(r"\)\s*:\s*[\s\S]*\)\s*$", header):
                    kind = "function"
                else:
                    kind = "block"
                sig = header.strip().splitlines()
                # The function starts at the first line of its signature.
                first_code = len(header) - len(header.lstrip())
                start_line = line - header.count("\n", first_code)
                stack.append((kind, start_line, sig[0] if sig else ""))
                last_stop = i + 1
            elif c == "}":
                if stack:
                    kind, start_line, sig = stack.pop()
                    length = line - start_line + 1
                    if kind == "function" and length > MAX_FUNCTION_LINES:
                        name = re.findall(r"([\w:~]+)\s*\(", sig)
                        problems.append(f"{rel(f)}:{start_line}: function "
                                        f"{name[0] if name else sig[:40]} is {length} lines "
                                        f"(at most {MAX_FUNCTION_LINES})")
                last_stop = i + 1
            elif c == ";":
                last_stop = i + 1


def main():
    files = list(source_files())
    problems = []
    check_folder_sizes(files, problems)
    check_includes(files, problems)
    check_function_lengths([f for f in files if not rel(f).startswith("tests/fuzz")], problems)
    for p in problems:
        print(p)
    if problems:
        print(f"layout: {len(problems)} problem(s)")
        return 1
    print(f"layout: {len(files)} files checked, no problems")
    return 0


if __name__ == "__main__":
    sys.exit(main())
