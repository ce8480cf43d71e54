"""Keyed pseudonyms: a person's ID number becomes an HMAC under the county's secret.

The same person gets the same key in every notice and program, which links a
公示 to its 公布 and lets cross-program rules be checked, while the key says
nothing about the ID without the secret. The secret lives outside the
repository: in a key file, or in an environment variable for CI-like setups.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

KEY_FILE_ENV = "GONGSHI_KEY_FILE"
SECRET_ENV = "GONGSHI_SECRET"
SECRET_BYTES = 32


class KeyProblem(Exception):
    """A missing or unusable county secret; the message is for the clerk."""


def person_key(secret: bytes, id_number: str) -> str:
    """HMAC-SHA256 of the normalized ID number (18 characters, upper-case X)."""
    return hmac.new(secret, id_number.strip().upper().encode("ascii"), hashlib.sha256).hexdigest()


def _decode(text: str, where: str) -> bytes:
    try:
        secret = bytes.fromhex(text.strip())
    except ValueError:
        raise KeyProblem(f"{where} 中的县级密钥格式不对（应为64位十六进制字符）。请使用 keygen 生成的密钥文件。") from None
    if len(secret) < 16:
        raise KeyProblem(f"{where} 中的县级密钥太短。请使用 keygen 生成的密钥文件。")
    return secret


def load_secret(key_file: Path | None, project_root: Path, environ: dict[str, str] = os.environ) -> bytes:
    """The county secret from --key-file, $GONGSHI_KEY_FILE or $GONGSHI_SECRET, never from inside the project."""
    if key_file is None and environ.get(KEY_FILE_ENV):
        key_file = Path(environ[KEY_FILE_ENV])
    if key_file is None:
        if environ.get(SECRET_ENV):
            return _decode(environ[SECRET_ENV], f"环境变量 {SECRET_ENV}")
        raise KeyProblem(
            "没有找到县级密钥。请用 --key-file 指定密钥文件（或设置环境变量 GONGSHI_KEY_FILE）。"
            "第一次使用时，用 `python -m generator keygen --out 密钥文件路径` 生成一个，保存在项目目录以外、"
            "妥善备份：同一个县必须一直使用同一个密钥，否则同一人的公示和公布无法对应。")
    if is_inside(key_file, project_root):
        raise KeyProblem(f"密钥文件 {key_file} 在项目目录中，可能被提交公开。请把它移到项目目录以外。")
    try:
        return _decode(key_file.read_text(encoding="ascii"), str(key_file))
    except (OSError, UnicodeDecodeError):
        raise KeyProblem(f"无法读取密钥文件 {key_file}，请检查路径和权限。") from None


def is_inside(path: Path, root: Path) -> bool:
    path, root = path.resolve(), root.resolve()
    return path == root or root in path.parents


def generate_key_file(out: Path, project_root: Path) -> None:
    if is_inside(out, project_root):
        raise KeyProblem(f"不能把密钥文件放在项目目录中（{out}）：项目目录会被公开。请换一个目录。")
    if out.exists():
        raise KeyProblem(f"{out} 已经存在。为防止覆盖正在使用的密钥，请换一个文件名。")
    out.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secrets.token_hex(SECRET_BYTES) + "\n")
