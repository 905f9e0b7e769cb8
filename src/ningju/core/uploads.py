"""Uploaded photos and evidence files: checked by content, cleaned, served safely.

* The type is decided by the file's first bytes (magic numbers), never by its name or the content type the
  client sent. Accepted: JPEG, PNG and WebP images; PDF documents only where the caller allows them.
* Size limits: 5 MB for an image, 10 MB for a PDF; an empty file is refused.
* Images are decoded and re-encoded with Pillow from their pixels alone, so nothing of the original file but
  the picture survives: no EXIF (camera, time, GPS position), XMP, ICC profile, JPEG comment or PNG text
  chunk. The EXIF orientation is applied first, so a phone photo stays upright; an embedded ICC profile is
  converted to sRGB before it is dropped, so colours stay right. Images larger than 40 megapixels are
  refused (decompression bombs), and photos are scaled down to at most 2560 px on the long side: enough to
  read a sign or a document on a phone or a screen, and it keeps each stored photo well under 1 MB.
  A file that starts like an image but that Pillow cannot decode is refused. Animated images keep their
  first frame.
* A PDF is kept byte for byte (its own metadata is not rewritten); it must start with ``%PDF-`` and end
  with ``%%EOF``.
* The cleaned file is stored under a random name (nothing of the uploader's file name reaches the disk)
  and served by ``file_response`` after the caller's own scope check, never from ``MEDIA_URL``.

Usage in a service::

    try:
        clean = uploads.clean_upload(upload, allow_documents=True, label="附件")
    except ValidationError as exc:
        errors["file"] = exc.messages
    ...
    obj.file.save(clean.storage_name(), clean.as_content_file(), save=False)
    obj.sha256 = clean.sha256

and in a view, after ``get_visible_or_404``: ``return uploads.file_response(obj.file, filename="附件-12")``.
"""

from __future__ import annotations

import hashlib
import io
import os
import unicodedata
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.http import FileResponse, Http404
from PIL import Image, ImageCms, ImageOps

MB = 1024 * 1024
MAX_IMAGE_BYTES = 5 * MB
MAX_DOCUMENT_BYTES = 10 * MB
MAX_PIXELS = 40_000_000  # 40 megapixels: above any phone camera, far below what would exhaust memory
MAX_SIDE = 2560  # images are scaled down to fit in MAX_SIDE x MAX_SIDE
JPEG_QUALITY = 88
WEBP_QUALITY = 85
HEAD_BYTES = 16


@dataclass(frozen=True)
class Kind:
    extension: str
    content_type: str
    label: str
    pillow_format: str | None  # None: not an image
    max_bytes: int


JPEG = Kind("jpg", "image/jpeg", "JPEG", "JPEG", MAX_IMAGE_BYTES)
PNG = Kind("png", "image/png", "PNG", "PNG", MAX_IMAGE_BYTES)
WEBP = Kind("webp", "image/webp", "WebP", "WEBP", MAX_IMAGE_BYTES)
PDF = Kind("pdf", "application/pdf", "PDF", None, MAX_DOCUMENT_BYTES)
IMAGE_KINDS = (JPEG, PNG, WEBP)
BY_EXTENSION = {k.extension: k for k in (JPEG, PNG, WEBP, PDF)}

# What a file name or a client's content type may claim; used only to word the refusal more clearly.
_IMAGE_NAMES = (".jpg", ".jpeg", ".jpe", ".png", ".webp", ".gif", ".bmp", ".heic", ".heif", ".tif", ".tiff")


@dataclass(frozen=True)
class CleanFile:
    """An accepted upload, ready to be stored: ``content`` is what goes to disk (a re-encoded image or the
    PDF as sent); ``size`` and ``sha256`` are of ``content``; ``original_name`` is the uploader's file name
    (for display only, never for storage); ``width``/``height`` are the stored image's, None for a PDF."""

    content: bytes
    extension: str
    content_type: str
    size: int
    original_name: str
    sha256: str
    width: int | None = None
    height: int | None = None

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    def storage_name(self) -> str:
        """A random file name with our own extension, for ``FieldFile.save``."""
        return f"{uuid.uuid4().hex}.{self.extension}"

    def as_content_file(self) -> ContentFile:
        """The content as a Django ``ContentFile`` (named with a random ``storage_name()``)."""
        return ContentFile(self.content, name=self.storage_name())


def sniff(head: bytes) -> Kind | None:
    """The kind of a file from its first bytes; None when it is none of ours."""
    if head[:3] == b"\xff\xd8\xff":
        return JPEG
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[:5] == b"%PDF-":
        return PDF
    return None


def kind_of_name(name: str) -> Kind | None:
    """The kind of a stored file, from the extension this module gave it when it was saved."""
    return BY_EXTENSION.get(name.rsplit(".", 1)[-1].lower()) if name and "." in name else None


def clean_upload(upload, *, allow_documents: bool = False, label: str = "文件") -> CleanFile:
    """Check an uploaded file by its content and return it cleaned, or raise a ValidationError in Chinese.

    ``upload`` is a Django ``UploadedFile`` (also what django-ninja's ``File[UploadedFile]`` gives) or any
    file object with ``read``/``seek`` and optionally ``name``, ``size`` and ``content_type``.
    ``allow_documents`` also accepts PDF (up to 10 MB). ``label`` names the file in messages ("照片", "附件").
    """
    accepted = "JPEG、PNG、WebP图片或PDF文档" if allow_documents else "JPEG、PNG或WebP格式的图片"
    original_name = _display_name(getattr(upload, "name", "") or "")
    size = getattr(upload, "size", None)
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    if not size and not head:
        raise ValidationError(f"{label}为空,请重新选择文件", code="empty")
    kind = sniff(head)
    if kind is None:
        raise ValidationError(_not_ours_message(upload, label=label, accepted=accepted), code="type")
    if kind is PDF and not allow_documents:
        raise ValidationError(f"{label}只能是{accepted}(按文件内容判断,不看扩展名),这里不接受PDF文档",
                              code="type")
    size = size or 0
    if size > kind.max_bytes:
        raise ValidationError(_too_big_message(label, kind, size), code="size")
    upload.seek(0)
    data = upload.read(kind.max_bytes + 1)
    upload.seek(0)
    if len(data) > kind.max_bytes:
        raise ValidationError(_too_big_message(label, kind, len(data)), code="size")
    if kind is PDF:
        if b"%%EOF" not in data[-1024:]:
            raise ValidationError(f"{label}看起来是PDF文档,但内容不完整或已损坏,无法接受", code="corrupt")
        return _clean_file(data, kind, original_name)
    content, width, height = _reencode(data, kind, label=label)
    return _clean_file(content, kind, original_name, width=width, height=height)


def file_response(field_file, *, filename: str, as_attachment: bool = False) -> FileResponse:
    """Serve a file stored by this module (a ``FieldFile``) to a caller who has already passed the object's
    scope check. The content type comes from our own extension on the stored name, never from the content;
    ``filename`` is the name offered to the browser (the stored extension is added when missing).
    404 when there is no file, its extension is not ours, or it is missing from storage."""
    name = getattr(field_file, "name", "") or ""
    kind = kind_of_name(name)
    if not field_file or kind is None:
        raise Http404("文件不存在")
    try:
        handle = field_file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("文件不存在") from exc
    filename = _display_name(filename) or "file"
    if not filename.lower().endswith(f".{kind.extension}"):
        filename = f"{filename}.{kind.extension}"
    resp = FileResponse(handle, content_type=kind.content_type, as_attachment=as_attachment, filename=filename)
    resp["X-Content-Type-Options"] = "nosniff"
    resp["Cache-Control"] = "private, max-age=3600"
    return resp


# --- internals ---------------------------------------------------------------------------------------

def _clean_file(content: bytes, kind: Kind, original_name: str, *, width: int | None = None,
                height: int | None = None) -> CleanFile:
    return CleanFile(content=content, extension=kind.extension, content_type=kind.content_type, size=len(content),
                     original_name=original_name, sha256=hashlib.sha256(content).hexdigest(), width=width,
                     height=height)


def _too_big_message(label: str, kind: Kind, size: int) -> str:
    what = label if kind.pillow_format else f"{label}(PDF文档)"
    return f"{what}不能超过{kind.max_bytes // MB}MB(当前约{size / MB:.1f}MB)"


def _not_ours_message(upload, *, label: str, accepted: str) -> str:
    name = (getattr(upload, "name", "") or "").lower()
    claimed = (getattr(upload, "content_type", "") or "").lower()
    if name.endswith(_IMAGE_NAMES) or claimed.startswith("image/"):
        return f"{label}的扩展名或类型声称是图片,但内容不是{accepted}(按文件内容判断,不看扩展名)"
    if name.endswith(".pdf") or claimed == "application/pdf":
        return f"{label}的扩展名或类型声称是PDF文档,但内容不是PDF(按文件内容判断,不看扩展名)"
    return f"{label}只能是{accepted}(按文件内容判断,不看扩展名)"


def _display_name(name: str) -> str:
    """The base name of an uploader's file name, without control characters, at most 200 characters."""
    base = os.path.basename(name.replace("\\", "/"))
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    return base[-200:]


def _reencode(data: bytes, kind: Kind, *, label: str) -> tuple[bytes, int, int]:
    """Decode the image (its own format only), check its size, and encode its pixels alone again."""
    broken = f"{label}看起来是{kind.label}图片,但内容已损坏或不完整,无法读取"
    too_large = f"{label}的尺寸过大,最多{MAX_PIXELS // 10_000}万像素,请缩小后再上传"
    try:
        # Image.open reads the header only; Pillow itself refuses absurd sizes (DecompressionBombError).
        image = Image.open(io.BytesIO(data), formats=[kind.pillow_format])
    except Image.DecompressionBombError as exc:
        raise ValidationError(too_large, code="pixels") from exc
    except Exception as exc:  # any failure to parse an untrusted file is a refusal, not a server error
        raise ValidationError(broken, code="corrupt") from exc
    with image:
        width, height = image.size
        if width < 1 or height < 1:
            raise ValidationError(broken, code="corrupt")
        if width * height > MAX_PIXELS:
            raise ValidationError(
                f"{label}的尺寸过大({width}×{height},约{width * height / 10_000:.0f}万像素),"
                f"最多{MAX_PIXELS // 10_000}万像素,请缩小后再上传", code="pixels")
        try:
            image.seek(0)  # the first frame of an animation
            if kind is JPEG and max(width, height) > MAX_SIDE:
                # Let the JPEG decoder scale down by 1/2, 1/4 or 1/8 while decoding: far less memory and time.
                ratio = MAX_SIDE / max(width, height)
                image.draft(None, (max(1, int(width * ratio)), max(1, int(height * ratio))))
            image.load()
            pixels = _pixels_only(image)
        except Image.DecompressionBombError as exc:
            raise ValidationError(too_large, code="pixels") from exc
        except Exception as exc:
            raise ValidationError(broken, code="corrupt") from exc
    out = io.BytesIO()
    if kind is JPEG:
        if pixels.mode not in ("L", "RGB"):
            pixels = pixels.convert("RGB")
        pixels.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    elif kind is PNG:
        pixels.save(out, format="PNG")
    else:
        pixels.save(out, format="WEBP", quality=WEBP_QUALITY, method=4)
    return out.getvalue(), pixels.width, pixels.height


def _pixels_only(image: Image.Image) -> Image.Image:
    """The upright picture, in sRGB, at most MAX_SIDE on each side, as a new image built from pixel bytes
    alone: it has no ``info``, so no EXIF, XMP, ICC profile, comment or text chunk can reach the saved file."""
    icc = image.info.get("icc_profile")
    upright = ImageOps.exif_transpose(image)
    has_alpha = upright.has_transparency_data
    if upright.mode in ("L", "RGB") and not has_alpha:
        target = upright.mode
    else:
        target = "RGBA" if has_alpha else "RGB"
    converted = None
    if icc:
        try:
            converted = ImageCms.profileToProfile(upright, ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                                                  ImageCms.createProfile("sRGB"), outputMode=target)
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            converted = None  # an unusable or mismatched profile: keep the pixel values as they are
    if converted is None:
        converted = upright if upright.mode == target else upright.convert(target)
    converted.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)  # our own copy, changed in place
    return Image.frombytes(converted.mode, converted.size, converted.tobytes())
