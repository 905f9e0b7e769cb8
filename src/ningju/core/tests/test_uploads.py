"""Uploads: the type comes from the content; images come out re-encoded without any metadata and upright;
broken, oversized, bomb-sized and wrong-type files are refused with a clear message; stored files are served
with our own content type."""

import hashlib
import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models.fields.files import FieldFile, FileField
from django.http import Http404
from PIL import Image, ImageCms, ImageDraw
from PIL.PngImagePlugin import PngInfo

from ningju.core import uploads

GPS_IFD = 0x8825
MAKE, MODEL, ORIENTATION = 0x010F, 0x0110, 0x0112
XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="35,5.123N"/>'
       b"</rdf:RDF></x:xmpmeta>")


def camera_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[MAKE] = "HUAWEI"
    exif[MODEL] = "Mate60Pro"
    if orientation:
        exif[ORIENTATION] = orientation
    exif[GPS_IFD] = {1: "N", 2: (35.0, 5.0, 7.38), 3: "E", 4: (112.0, 56.0, 40.2)}
    return exif


def picture(width: int = 64, height: int = 48, mode: str = "RGB") -> Image.Image:
    image = Image.new(mode, (width, height), "white")
    ImageDraw.Draw(image).rectangle((0, 0, width // 2 - 1, height - 1), fill="red")  # left half red
    return image


def encode(image: Image.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **params)
    return out.getvalue()


def upload(data: bytes, name: str = "现场.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header declares the given size, with one tiny data chunk: a decompression bomb's shape."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


def pdf_bytes(padding: int = 0) -> bytes:
    return (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
            b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n" + b"% " + b"x" * padding + b"\n"
            b"trailer << /Root 1 0 R >> \n%%EOF\n")


def message(exc_info) -> str:
    return " ".join(exc_info.value.messages)


def opened(clean: uploads.CleanFile) -> Image.Image:
    image = Image.open(io.BytesIO(clean.content))
    image.load()
    return image


# --- metadata is removed -------------------------------------------------------------------------------

def test_jpeg_with_gps_comes_out_without_any_metadata():
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(picture(), "JPEG", exif=camera_exif(), xmp=XMP, comment=b"secret note", icc_profile=srgb)
    source = Image.open(io.BytesIO(data))
    assert source.getexif()[MAKE] == "HUAWEI" and source.getexif().get_ifd(GPS_IFD)[1] == "N"  # the input has it
    assert all(trace in data for trace in (b"xmpmeta", b"secret note", b"ICC_PROFILE"))

    clean = uploads.clean_upload(upload(data))

    image = opened(clean)
    assert image.format == "JPEG" and image.size == (64, 48)
    assert len(image.getexif()) == 0 and not image.getexif().get_ifd(GPS_IFD)
    for key in ("exif", "xmp", "icc_profile", "comment"):
        assert key not in image.info
    for trace in (b"Exif", b"HUAWEI", b"Mate60Pro", b"xmpmeta", b"GPSLatitude", b"secret note", b"ICC_PROFILE"):
        assert trace not in clean.content
    assert (clean.extension, clean.content_type, clean.original_name) == ("jpg", "image/jpeg", "现场.jpg")
    assert clean.size == len(clean.content) and clean.sha256 == hashlib.sha256(clean.content).hexdigest()
    assert (clean.width, clean.height) == (64, 48) and clean.is_image
    # The picture itself survives: the left half is still red.
    assert image.getpixel((5, 24))[0] > 200 and image.getpixel((5, 24))[1] < 60


def test_png_text_chunks_and_exif_are_removed():
    info = PngInfo()
    info.add_text("Comment", "拍摄于沁阳市怀庆街道")
    info.add_text("Author", "张三", zip=True)
    info.add_itxt("Location", "35.08N 112.94E", lang="zh", tkey="位置")
    data = encode(picture(mode="RGBA"), "PNG", pnginfo=info, exif=camera_exif())
    assert Image.open(io.BytesIO(data)).text and b"eXIf" in data  # the input carries text chunks and EXIF

    clean = uploads.clean_upload(upload(data, "骑手之家.png", "image/png"))

    image = opened(clean)
    assert image.format == "PNG" and image.mode == "RGBA" and image.text == {}
    assert "exif" not in image.info and len(image.getexif()) == 0
    for chunk in (b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"iCCP"):
        assert chunk not in clean.content
    assert (clean.extension, clean.content_type) == ("png", "image/png")


def test_comment_and_colour_profile_are_removed_from_every_format():
    # Pillow would carry a JPEG comment or a PNG's ICC profile into a re-saved file; ours are built from pixels.
    jpeg = encode(picture(), "JPEG", comment=b"secret note")
    assert b"secret note" in jpeg
    assert b"secret note" not in uploads.clean_upload(upload(jpeg)).content
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    png = encode(picture(), "PNG", icc_profile=srgb)
    assert b"iCCP" in png
    clean = uploads.clean_upload(upload(png, "a.png"))
    assert b"iCCP" not in clean.content and "icc_profile" not in opened(clean).info


def test_webp_exif_and_xmp_are_removed():
    data = encode(picture(), "WEBP", exif=camera_exif(), xmp=XMP)
    assert b"HUAWEI" in data and b"XMP " in data
    clean = uploads.clean_upload(upload(data, "photo.webp", "image/webp"))
    image = opened(clean)
    assert image.format == "WEBP" and image.size == (64, 48)
    assert "exif" not in image.info and "xmp" not in image.info
    assert b"EXIF" not in clean.content and b"XMP " not in clean.content and b"HUAWEI" not in clean.content
    assert (clean.extension, clean.content_type) == ("webp", "image/webp")


def test_orientation_is_applied_before_the_exif_is_dropped():
    # Stored 80x40 with the left half red; Orientation 6 says "rotate 90° clockwise to view".
    data = encode(picture(80, 40), "JPEG", exif=camera_exif(orientation=6))
    clean = uploads.clean_upload(upload(data))
    image = opened(clean)
    assert image.size == (40, 80) and (clean.width, clean.height) == (40, 80)
    assert ORIENTATION not in image.getexif()
    # After the rotation the red half is on top.
    top, bottom = image.getpixel((20, 10)), image.getpixel((20, 70))
    assert top[0] > 200 and top[1] < 60
    assert bottom[0] > 200 and bottom[1] > 200


@pytest.mark.parametrize(("fmt", "size", "orientation", "expected"), [
    ("JPEG", (3000, 1200), None, (2560, 1024)),
    ("JPEG", (6000, 2000), None, (2560, 853)),  # decoded at half size by the JPEG decoder, then scaled
    ("JPEG", (6000, 2000), 6, (853, 2560)),
    ("PNG", (1200, 3000), None, (1024, 2560)),
    ("WEBP", (2000, 2000), None, (2000, 2000)),  # within the limit: kept as it is
])
def test_large_photos_are_scaled_down_to_the_maximum_side(fmt, size, orientation, expected):
    params = {"exif": camera_exif(orientation)} if orientation else {}
    clean = uploads.clean_upload(upload(encode(picture(*size), fmt, **params), f"a.{fmt.lower()}"))
    image = opened(clean)
    assert image.size == expected == (clean.width, clean.height) and image.format == fmt
    # Still the same picture: the red half is where it was (on top after the rotation).
    x, y = (expected[0] // 2, 5) if orientation else (5, expected[1] // 2)
    red, green, _ = image.convert("RGB").getpixel((x, y))
    assert red > 200 and green < 60


def test_type_comes_from_the_content_not_the_name():
    data = encode(picture(), "PNG")
    clean = uploads.clean_upload(upload(data, "看似.jpg", "image/jpeg"))
    assert (clean.extension, clean.content_type) == ("png", "image/png")
    assert opened(clean).format == "PNG"


def test_original_name_is_kept_for_display_only():
    data = encode(picture(), "JPEG")
    clean = uploads.clean_upload(upload(data, "C:\\fakepath\\走访\n现场.jpg"))
    assert clean.original_name == "走访现场.jpg"
    name = clean.storage_name()
    assert name.endswith(".jpg") and "走访" not in name and len(name) == 36
    assert clean.as_content_file().read() == clean.content


# --- refusals ----------------------------------------------------------------------------------------------

def test_text_file_named_jpg_is_refused():
    with pytest.raises(ValidationError) as exc:
        uploads.clean_upload(upload("这是一段文字,不是图片。\n".encode() * 20, "走访.jpg"), label="照片")
    text = message(exc)
    assert "照片的扩展名或类型声称是图片,但内容不是" in text and "JPEG、PNG或WebP" in text


def test_unknown_file_gets_the_list_of_accepted_types():
    with pytest.raises(ValidationError) as exc:
        uploads.clean_upload(upload(b"PK\x03\x04 a zip", "材料.zip", "application/zip"), allow_documents=True)
    assert message(exc) == "文件只能是JPEG、PNG、WebP图片或PDF文档(按文件内容判断,不看扩展名)"


def test_jpeg_magic_with_garbage_after_is_refused():
    data = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40
    with pytest.raises(ValidationError) as exc:
        uploads.clean_upload(upload(data))
    assert "看起来是JPEG图片,但内容已损坏或不完整" in message(exc)


def test_truncated_jpeg_is_refused():
    data = encode(Image.effect_noise((400, 300), 60).convert("RGB"), "JPEG")
    with pytest.raises(ValidationError) as exc:
        uploads.clean_upload(upload(data[: len(data) // 2]))
    assert "已损坏或不完整" in message(exc)


def test_empty_file_is_refused():
    with pytest.raises(ValidationError) as exc:
        uploads.clean_upload(upload(b""), label="照片")
    assert message(exc) == "照片为空,请重新选择文件"


def test_too_big_image_is_refused():
    data = b"\xff\xd8\xff\xe0" + b"\x00" * (5 * 1024 * 1024)
    with pytest.raises(ValidationError) as exc:
        uploads.clean_upload(upload(data), label="照片")
    assert message(exc) == "照片不能超过5MB(当前约5.0MB)"


def test_too_big_is_refused_even_when_the_file_object_has_no_size():
    stream = io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\x00" * (6 * 1024 * 1024))
    with pytest.raises(ValidationError) as exc:
        uploads.clean_upload(stream)
    assert "不能超过5MB" in message(exc)


@pytest.mark.parametrize(("width", "height"), [(30000, 30000), (8000, 6000)])
def test_decompression_bomb_is_refused(width, height):
    data = png_declaring(width, height)
    assert len(data) < 200  # tiny on the wire, huge once decoded
    with pytest.raises(ValidationError) as exc:
        uploads.clean_upload(upload(data, "bomb.png", "image/png"), label="照片")
    assert "照片的尺寸过大" in message(exc) and "最多4000万像素" in message(exc)


# --- documents ---------------------------------------------------------------------------------------------

def test_pdf_is_refused_unless_documents_are_allowed():
    with pytest.raises(ValidationError) as exc:
        uploads.clean_upload(upload(pdf_bytes(), "情况说明.pdf", "application/pdf"), label="照片")
    assert "照片只能是JPEG、PNG或WebP格式的图片" in message(exc) and "不接受PDF" in message(exc)


def test_pdf_is_accepted_as_sent_when_documents_are_allowed():
    data = pdf_bytes()
    clean = uploads.clean_upload(upload(data, "情况说明.pdf", "application/pdf"), allow_documents=True)
    assert clean.content == data
    assert (clean.extension, clean.content_type, clean.original_name) == ("pdf", "application/pdf", "情况说明.pdf")
    assert (clean.width, clean.height, clean.is_image) == (None, None, False)


def test_pdf_limit_is_ten_megabytes():
    six_mb = pdf_bytes(6 * 1024 * 1024)
    assert uploads.clean_upload(upload(six_mb, "a.pdf"), allow_documents=True).size == len(six_mb)
    with pytest.raises(ValidationError) as exc:
        uploads.clean_upload(upload(pdf_bytes(10 * 1024 * 1024), "a.pdf"), allow_documents=True, label="附件")
    assert message(exc).startswith("附件(PDF文档)不能超过10MB")


def test_truncated_pdf_and_fake_pdf_are_refused():
    with pytest.raises(ValidationError) as exc:
        uploads.clean_upload(upload(pdf_bytes()[:60], "a.pdf"), allow_documents=True)
    assert "PDF文档,但内容不完整或已损坏" in message(exc)
    with pytest.raises(ValidationError) as exc:
        uploads.clean_upload(upload(b"<html>not a pdf</html>", "a.pdf", "application/pdf"), allow_documents=True)
    assert "声称是PDF文档,但内容不是PDF" in message(exc)


# --- serving -----------------------------------------------------------------------------------------------

@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored(clean: uploads.CleanFile, name: str | None = None) -> FieldFile:
    saved = default_storage.save(f"t/{name or clean.storage_name()}", clean.as_content_file())
    return FieldFile(None, FileField(), saved)


def test_file_response_serves_with_our_content_type_and_safe_headers(media):
    clean = uploads.clean_upload(upload(encode(picture(), "JPEG")))
    resp = uploads.file_response(stored(clean), filename="visit-7")
    assert resp.status_code == 200 and resp["Content-Type"] == "image/jpeg"
    assert resp["Content-Disposition"] == 'inline; filename="visit-7.jpg"'
    assert resp["X-Content-Type-Options"] == "nosniff" and resp["Cache-Control"] == "private, max-age=3600"
    assert b"".join(resp.streaming_content) == clean.content


def test_file_response_takes_the_type_from_the_stored_extension_and_encodes_names(media):
    clean = uploads.clean_upload(upload(pdf_bytes(), "说明.pdf"), allow_documents=True)
    resp = uploads.file_response(stored(clean), filename="案件附件.pdf")
    assert resp["Content-Type"] == "application/pdf"
    assert resp["Content-Disposition"].startswith("inline; filename*=utf-8''") and ".pdf" in resp["Content-Disposition"]
    attachment = uploads.file_response(stored(clean), filename="a", as_attachment=True)
    assert attachment["Content-Disposition"] == 'attachment; filename="a.pdf"'


def test_file_response_is_404_for_no_file_a_missing_file_or_a_foreign_extension(media):
    clean = uploads.clean_upload(upload(encode(picture(), "PNG"), "a.png"))
    with pytest.raises(Http404):
        uploads.file_response(FieldFile(None, FileField(), ""), filename="x")
    with pytest.raises(Http404):
        uploads.file_response(FieldFile(None, FileField(), "t/gone.png"), filename="x")
    with pytest.raises(Http404):
        uploads.file_response(stored(clean, "page.html"), filename="x")
