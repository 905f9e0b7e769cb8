"""Visit photos: the type is decided by the file's first bytes (magic numbers), never by its name."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404

MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class PhotoKind:
    extension: str
    content_type: str
    label: str


JPEG = PhotoKind("jpg", "image/jpeg", "JPEG")
PNG = PhotoKind("png", "image/png", "PNG")
WEBP = PhotoKind("webp", "image/webp", "WebP")
BY_EXTENSION = {k.extension: k for k in (JPEG, PNG, WEBP)}


def sniff(head: bytes) -> PhotoKind | None:
    if head[:3] == b"\xff\xd8\xff":
        return JPEG
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    return None


def check(upload) -> PhotoKind:
    """The kind of an uploaded photo; a Chinese ValidationError if it is empty, too big or not an image."""
    size = getattr(upload, "size", None)
    if not size:
        raise ValidationError("照片文件为空")
    if size > MAX_BYTES:
        raise ValidationError(f"照片不能超过5MB(当前约{size / 1024 / 1024:.1f}MB)")
    upload.seek(0)
    head = upload.read(12)
    upload.seek(0)
    kind = sniff(head)
    if kind is None:
        raise ValidationError("照片只能是JPEG、PNG或WebP格式的图片(按文件内容判断,不看扩展名)")
    return kind


def kind_of_name(name: str) -> PhotoKind | None:
    """The kind of a stored photo, from the extension this app gave it when saving."""
    return BY_EXTENSION.get(name.rsplit(".", 1)[-1].lower()) if "." in name else None


def response(visit) -> FileResponse:
    """The photo of a visit the caller has already fetched through its scope; 404 when there is none."""
    kind = kind_of_name(visit.photo.name) if visit.photo else None
    if kind is None:
        raise Http404("没有照片")
    try:
        handle = visit.photo.open("rb")
    except FileNotFoundError as exc:
        raise Http404("照片文件不存在") from exc
    resp = FileResponse(handle, content_type=kind.content_type)
    resp["Content-Disposition"] = f'inline; filename="visit-{visit.pk}.{kind.extension}"'
    resp["Cache-Control"] = "private, max-age=3600"
    return resp
