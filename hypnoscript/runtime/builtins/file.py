"""File builtins. Every path is checked against the `files` capability; OS failures become
`HypIOError`s with Rust's `io::Error` wording, e.g. `No such file or directory (os error 2)`."""

from __future__ import annotations

import os

from hypnoscript.runtime.builtins.args import as_string, as_string_array
from hypnoscript.runtime.builtins.registry import builtin
from hypnoscript.runtime.builtins.string import lines
from hypnoscript.runtime.builtins.support import check_path, os_error
from hypnoscript.runtime.errors import HypIOError
from hypnoscript.runtime.values import truthy

_F = "files"


def read_text(path: str) -> str:
    check_path(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise os_error(exc) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise HypIOError("stream did not contain valid UTF-8") from None


def _ensure_parent(path: str) -> None:
    parent = os.path.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)


def write_text(path: str, text: str, mode: str = "wb") -> None:
    check_path(path)
    try:
        _ensure_parent(path)
        with open(path, mode) as fh:
            fh.write(text.encode("utf-8", "surrogatepass"))
    except OSError as exc:
        raise os_error(exc) from None


@builtin("file", "ReadFile(path: string) -> string", "The whole file as UTF-8 text", capability=_F)
def _read_file(path):
    return read_text(as_string(path, "ReadFile", 1))


@builtin(
    "file",
    "WriteFile(path: string, text: string) -> null",
    "Create or truncate the file (and missing parent directories) and write text",
    capability=_F,
)
def _write_file(path, text):
    write_text(as_string(path, "WriteFile", 1), as_string(text, "WriteFile", 2))


@builtin(
    "file",
    "AppendFile(path: string, text: string) -> null",
    "Append text, creating the file and parent directories when missing",
    capability=_F,
)
def _append_file(path, text):
    write_text(as_string(path, "AppendFile", 1), as_string(text, "AppendFile", 2), "ab")


@builtin(
    "file",
    "ReadLines(path: string) -> string[]",
    "The lines of a UTF-8 text file (without line endings)",
    capability=_F,
)
def _read_lines(path):
    return lines(read_text(as_string(path, "ReadLines", 1)))


@builtin(
    "file",
    "WriteLines(path: string, lines: string[]) -> null",
    "Write the lines joined with \\n (no trailing newline)",
    capability=_F,
)
def _write_lines(path, items):
    path = as_string(path, "WriteLines", 1)
    write_text(path, "\n".join(as_string_array(items, "WriteLines", 2)))


@builtin("file", "FileExists(path: string) -> boolean", "Whether the path exists (file or directory)", capability=_F)
def _file_exists(path):
    path = as_string(path, "FileExists", 1)
    check_path(path)
    return os.path.exists(path)


@builtin("file", "IsFile(path: string) -> boolean", "Whether the path is a regular file", capability=_F)
def _is_file(path):
    path = as_string(path, "IsFile", 1)
    check_path(path)
    return os.path.isfile(path)


@builtin(
    "file",
    "IsDirectory(path: string) -> boolean",
    "Whether the path is a directory",
    capability=_F,
    aliases=("DirectoryExists",),
)
def _is_directory(path):
    path = as_string(path, "IsDirectory", 1)
    check_path(path)
    return os.path.isdir(path)


@builtin("file", "DeleteFile(path: string) -> null", "Remove a file (not a directory)", capability=_F)
def _delete_file(path):
    path = as_string(path, "DeleteFile", 1)
    check_path(path)
    try:
        os.remove(path)
    except OSError as exc:
        raise os_error(exc) from None


@builtin(
    "file",
    "CreateDirectory(path: string) -> null",
    "Create a directory and its parents (fine if it exists)",
    capability=_F,
)
def _create_directory(path):
    path = as_string(path, "CreateDirectory", 1)
    check_path(path)
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise os_error(exc) from None


@builtin(
    "file",
    "DeleteDirectory(path: string, recursive?: boolean) -> null",
    "Remove a directory; with recursive its contents too",
    capability=_F,
)
def _delete_directory(path, recursive=None):
    import shutil

    path = as_string(path, "DeleteDirectory", 1)
    check_path(path)
    try:
        if truthy(recursive) and os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.rmdir(path)
    except OSError as exc:
        raise os_error(exc) from None


def _entries(name: str, path) -> list[os.DirEntry]:
    path = as_string(path, name, 1)
    check_path(path)
    try:
        with os.scandir(path) as it:
            # names that are not valid UTF-8 arrive with surrogate escapes and are skipped
            return [e for e in it if not any("\udc80" <= c <= "\udcff" for c in e.name)]
    except OSError as exc:
        raise os_error(exc) from None


@builtin(
    "file",
    "ListDirectory(path: string) -> string[]",
    "Entry names of a directory, in the order the OS returns them",
    capability=_F,
)
def _list_directory(path):
    return [e.name for e in _entries("ListDirectory", path)]


@builtin(
    "file", "ListFiles(path: string) -> string[]", "Names of the regular files in a directory, sorted", capability=_F
)
def _list_files(path):
    return sorted(e.name for e in _entries("ListFiles", path) if e.is_file())


@builtin(
    "file",
    "ListDirectories(path: string) -> string[]",
    "Names of the subdirectories of a directory, sorted",
    capability=_F,
)
def _list_directories(path):
    return sorted(e.name for e in _entries("ListDirectories", path) if e.is_dir())


@builtin("file", "GetFileSize(path: string) -> number", "Size in bytes", capability=_F)
def _get_file_size(path):
    path = as_string(path, "GetFileSize", 1)
    check_path(path)
    try:
        return float(os.stat(path).st_size)
    except OSError as exc:
        raise os_error(exc) from None


@builtin(
    "file",
    "GetFileInfo(path: string) -> object",
    "{size, isFile, isDirectory, created, modified} (times as Unix seconds)",
    capability=_F,
)
def _get_file_info(path):
    path = as_string(path, "GetFileInfo", 1)
    check_path(path)
    try:
        st = os.stat(path)
    except OSError as exc:
        raise os_error(exc) from None
    created = getattr(st, "st_birthtime", st.st_ctime)
    return {
        "path": path,
        "size": float(st.st_size),
        "isFile": os.path.isfile(path),
        "isDirectory": os.path.isdir(path),
        "created": float(int(created)),
        "modified": float(int(st.st_mtime)),
    }


@builtin(
    "file",
    "CopyFile(from: string, to: string) -> number",
    "Copy a file; returns the number of bytes copied",
    capability=_F,
)
def _copy_file(src, dst):
    import shutil

    src = as_string(src, "CopyFile", 1)
    dst = as_string(dst, "CopyFile", 2)
    check_path(src)
    check_path(dst)
    try:
        shutil.copy(src, dst)
        return float(os.stat(dst).st_size)
    except OSError as exc:
        raise os_error(exc) from None


@builtin(
    "file",
    "RenameFile(from: string, to: string) -> null",
    "Rename or move a file or directory",
    capability=_F,
    aliases=("MoveFile",),
)
def _rename_file(src, dst):
    src = as_string(src, "RenameFile", 1)
    dst = as_string(dst, "RenameFile", 2)
    check_path(src)
    check_path(dst)
    try:
        os.rename(src, dst)
    except OSError as exc:
        raise os_error(exc) from None


@builtin(
    "file",
    "CopyDirectoryRecursive(from: string, to: string) -> null",
    "Copy a directory tree into to (created when missing)",
    capability=_F,
)
def _copy_directory_recursive(src, dst):
    import shutil

    src = as_string(src, "CopyDirectoryRecursive", 1)
    dst = as_string(dst, "CopyDirectoryRecursive", 2)
    check_path(src)
    check_path(dst)
    if not os.path.isdir(src):
        raise HypIOError("Source path is not a directory")
    try:
        shutil.copytree(src, dst, dirs_exist_ok=True)
    except (OSError, shutil.Error) as exc:
        raise os_error(exc) if isinstance(exc, OSError) and exc.errno else HypIOError(str(exc)) from None


def split_path(path: str) -> tuple[str | None, str | None]:
    """Rust's `Path::parent` and `Path::file_name` for Unix-style paths: (parent, final name)."""
    if path == "":
        return None, None
    rooted = path.startswith("/")
    body = path
    while True:
        if len(body) > 1 and body.endswith("/"):
            body = body[:-1]
        elif body.endswith("/.") and len(body) > 2:
            body = body[:-2]
        else:
            break
    if body in ("/", "/.") or (rooted and body.strip("/") == ""):
        return None, None
    if body == ".":
        return "", None
    idx = body.rfind("/")
    last = body[idx + 1 :]
    head = body[: idx + 1]
    parent = head.rstrip("/")
    while parent.endswith("/."):
        parent = parent[:-2].rstrip("/")
    if not parent and head.startswith("/"):
        parent = "/"
    return parent, (None if last == ".." else last)


def _stem_and_extension(name: str | None) -> tuple[str | None, str | None]:
    if name is None:
        return None, None
    if name == "..":
        return name, None
    dot = name.rfind(".")
    if dot <= 0:
        return name, None
    return name[:dot], name[dot + 1 :]


@builtin("file", "GetFileExtension(path: string) -> string?", "Text after the last dot of the final component, or null")
def _get_file_extension(path):
    return _stem_and_extension(split_path(as_string(path, "GetFileExtension", 1))[1])[1]


@builtin(
    "file", "GetFileName(path: string) -> string?", "The final component without its extension (the file stem), or null"
)
def _get_file_name(path):
    return _stem_and_extension(split_path(as_string(path, "GetFileName", 1))[1])[0]


@builtin("file", "GetParentDirectory(path: string) -> string?", "The path without its final component, or null")
def _get_parent_directory(path):
    return split_path(as_string(path, "GetParentDirectory", 1))[0]


@builtin("file", "JoinPath(...parts: string) -> string", "Join path components with the OS separator")
def _join_path(*parts):
    items = [as_string(p, "JoinPath", i) for i, p in enumerate(parts, 1)]
    return os.path.join(*items) if items else ""
