"""Tells files apart by their content, not their name, with libmagic through ctypes.

    python3 filetypes.py FILE...     prints "MIME-TYPE  FILE" for each file
"""

import ctypes
import sys

MAGIC_MIME_TYPE = 0x10


class Magic:
    def __init__(self):
        self.lib = lib = ctypes.CDLL("libmagic.so.1")
        lib.magic_open.restype = ctypes.c_void_p
        lib.magic_open.argtypes = [ctypes.c_int]
        lib.magic_load.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        lib.magic_error.restype = ctypes.c_char_p
        lib.magic_error.argtypes = [ctypes.c_void_p]
        lib.magic_buffer.restype = ctypes.c_char_p
        lib.magic_buffer.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
        lib.magic_file.restype = ctypes.c_char_p
        lib.magic_file.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        lib.magic_close.argtypes = [ctypes.c_void_p]
        self.cookie = lib.magic_open(MAGIC_MIME_TYPE)
        if not self.cookie or lib.magic_load(self.cookie, None) != 0:
            raise OSError(f"libmagic cannot load its database: {self._error()}")

    def _error(self):
        return (self.lib.magic_error(self.cookie) or b"?").decode() if self.cookie else "magic_open failed"

    def from_buffer(self, data: bytes) -> str:
        out = self.lib.magic_buffer(self.cookie, data, len(data))
        if out is None:
            raise OSError(self._error())
        return out.decode()

    def from_file(self, path: str) -> str:
        out = self.lib.magic_file(self.cookie, path.encode())
        if out is None:
            raise OSError(self._error())
        return out.decode()

    def close(self):
        if self.cookie:
            self.lib.magic_close(self.cookie)
            self.cookie = None


if __name__ == "__main__":
    magic = Magic()
    for path in sys.argv[1:]:
        print(f"{magic.from_file(path)}  {path}")
    magic.close()
