"""Helpers of the instructor tests: registration and assignment through the services, images."""

from __future__ import annotations

import io
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from ningju.accounts.models import User
from ningju.instructors import services
from ningju.testing.api import API, JSON
from ningju.testing.factories import PASSWORD, UserFactory


def register(world, actor: str = "qy_org", *, name: str = "王指导", appointed_by: str = "qy_org", **fields):
    return services.instructor_create(actor=world.user[actor], name=name, appointed_by=world.org[appointed_by],
                                      source="test", **fields)


def assign(world, instructor, unit: str, actor: str = "qy_org", **fields):
    return services.assignment_create(actor=world.user[actor], instructor=instructor, organisation=world.org[unit],
                                      source="test", **fields)


def instructor_login(world, org: str = "qy_org", phone: str | None = None) -> User:
    """A fresh login with the instructor role at ``org`` (no grants yet)."""
    extra = {"phone": phone} if phone else {}
    return UserFactory(role="instructor", organisation=world.org[org], **extra)


def fresh(user: User) -> User:
    """The user read again, so that no scope cached on an older object is used."""
    return User.objects.get(pk=user.pk)


def png_bytes() -> bytes:
    """A real 1x1 PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xb7\x1c\x1c"))
            + chunk(b"IEND", b""))


def png(name: str = "现场.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def is_png_bytes_picture(data: bytes) -> bool:
    """Whether a served photo is the picture of png_bytes(): re-encoded on upload, so compared by its pixels."""
    image = Image.open(io.BytesIO(data))
    pixel = image.convert("RGB").getpixel((0, 0))
    return image.format == "PNG" and image.size == (1, 1) and pixel == (0xB7, 0x1C, 0x1C)


def webp(name: str = "photo.webp") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (4, 3), (0xB7, 0x1C, 0x1C)).save(out, format="WEBP")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/webp")


def jpeg_with_gps(name: str = "现场.jpg") -> SimpleUploadedFile:
    """A phone photo: EXIF with the camera and the GPS position where it was taken."""
    exif = Image.Exif()
    exif[0x010F] = "HUAWEI"
    exif[0x8825] = {1: "N", 2: (35.0, 5.0, 7.38), 3: "E", 4: (112.0, 56.0, 40.2)}
    out = io.BytesIO()
    Image.new("RGB", (8, 6), "white").save(out, format="JPEG", exif=exif)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def text_as_jpg() -> SimpleUploadedFile:
    return SimpleUploadedFile("走访.jpg", "这是一段文字,不是图片。\n".encode() * 20, content_type="image/jpeg")


def oversize_jpeg() -> SimpleUploadedFile:
    data = b"\xff\xd8\xff\xe0" + b"\x00" * (5 * 1024 * 1024)  # a JPEG header, 4 bytes over 5 MB
    return SimpleUploadedFile("big.jpg", data, content_type="image/jpeg")


__all__ = ["API", "JSON", "PASSWORD"]
