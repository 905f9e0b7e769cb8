"""ECharts and Leaflet are local static files: fetched once at set-up by scripts/vendor_assets.py (pinned
npm tarballs, integrity and per-file hashes checked), found by the static finders, served by whitenoise,
and free of references a browser would fetch from outside. The map and chart includes render the data
attributes their scripts read, with no inline script."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import io
import json
import re
import sys
import tarfile
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.test import Client

ROOT = Path(__file__).resolve().parents[4]
spec = importlib.util.spec_from_file_location("vendor_assets", ROOT / "scripts" / "vendor_assets.py")
vendor_assets = sys.modules.setdefault("vendor_assets", importlib.util.module_from_spec(spec))
spec.loader.exec_module(vendor_assets)

PINNED = [(target, digest) for package in vendor_assets.PACKAGES for target, digest in package.files.values()]
CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
# Absolute URLs inside the vendored code that no browser fetches: XML namespace names, licence texts,
# browser bug links in CSS comments, and Leaflet's attribution link (the attribution control is off).
NOT_FETCHED = {
    "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink", "http://www.w3.org/2000/xmlns/",
    "http://www.w3.org/XML/1998/namespace", "http://www.apache.org/licenses/LICENSE-2.0",
    "https://github.com/ecomfe/zrender/blob/master/LICENSE.txt", "https://leafletjs.com",
    "https://bugs.chromium.org/p/chromium/issues/detail?id=600120",
    "https://bugzilla.mozilla.org/show_bug.cgi?id=888319",
}


def test_every_pinned_file_is_installed_with_its_hash():
    missing = [t for t, d in PINNED if vendor_assets.sha256_of(vendor_assets.DEST / t) != d]
    assert not missing, f"run `make install` (scripts/vendor_assets.py): missing or changed {missing}"
    assert vendor_assets.vendor(check_only=True) == 0


@pytest.mark.parametrize("target", [t for t, _ in PINNED if Path(t).suffix in CONTENT_TYPES])
def test_vendored_file_is_served_at_its_static_url(target, settings):
    settings.WHITENOISE_USE_FINDERS = True  # tests run without collectstatic: whitenoise serves from the finders
    settings.WHITENOISE_AUTOREFRESH = True
    assert finders.find(f"vendor/{target}") == str(vendor_assets.DEST / target)
    response = Client().get(f"/static/vendor/{target}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(CONTENT_TYPES[Path(target).suffix])
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body == (vendor_assets.DEST / target).read_bytes()


def test_vendored_code_fetches_nothing_from_outside():
    found = set()
    for target, _ in PINNED:
        if Path(target).suffix in (".js", ".css"):
            text = (vendor_assets.DEST / target).read_text(encoding="utf-8")
            found |= set(re.findall(r"""https?://[^\s"'<>()\\]+""", text))
    assert found <= NOT_FETCHED, sorted(found - NOT_FETCHED)


def _tarball(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def test_a_tarball_that_does_not_match_its_pinned_integrity_is_refused():
    data = _tarball({"package/dist/x.js": b"console.log(1)"})
    good = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    vendor_assets.check_integrity(data, good)
    with pytest.raises(ValueError, match="integrity mismatch"):
        vendor_assets.check_integrity(data + b"\0", good)


def test_extract_writes_only_pinned_files_with_their_hash(tmp_path):
    content = b"window.x = 1;"
    package = vendor_assets.Package(name="x", version="1.0.0", integrity="",
                                    files={"package/dist/x.js": ("x/x.js", hashlib.sha256(content).hexdigest())})
    vendor_assets.extract(package, _tarball({"package/dist/x.js": content, "package/evil.js": b"no"}), tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()] == ["x/x.js"]
    assert vendor_assets.stale_files(package, tmp_path) == []

    changed = vendor_assets.Package(name="x", version="1.0.0", integrity="",
                                    files={"package/dist/x.js": ("x/y.js", "0" * 64)})
    with pytest.raises(ValueError, match="sha256"):
        vendor_assets.extract(changed, _tarball({"package/dist/x.js": content}), tmp_path)
    assert not (tmp_path / "x" / "y.js").exists()


def test_map_picker_include_renders_its_data_attributes():
    html = render_to_string("web/_map_picker.html", {"map_id": "visit-map", "lat": 35.09, "lng": 112.95,
                                                     "lat_name": "visit_lat", "lng_name": "visit_lng"})
    assert 'id="visit-map"' in html and 'data-map="pick"' in html
    assert 'data-lat-input="visit_lat"' in html and 'data-lng-input="visit_lng"' in html
    assert '<input type="hidden" name="visit_lat" value="35.09">' in html
    assert 'data-leaflet-js="/static/vendor/leaflet/leaflet.js"' in html
    assert 'data-boundaries="/geo/boundaries/410800.geojson"' in html
    assert "使用当前位置" in html
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/ningju/map.js" defer>']


def test_map_picker_without_hidden_inputs_when_the_form_renders_them():
    html = render_to_string("web/_map_picker.html", {"external_inputs": True})
    assert 'data-lat-input="lat"' in html and "<input" not in html


def test_read_only_map_carries_its_points_as_json_script():
    points = [{"lat": 35.09, "lng": 112.95, "label": "<b>覃怀站</b>"}]
    html = render_to_string("web/_map_picker.html", {"map_id": "stations", "readonly": True, "points": points})
    assert 'data-map="view"' in html and 'data-points="stations-points"' in html and "使用当前位置" not in html
    block = re.search(r'<script id="stations-points" type="application/json">(.*?)</script>', html).group(1)
    assert "<b>" not in block and json.loads(block) == points  # json_script escapes markup


def test_chart_include_renders_options_as_json_script():
    options = {"xAxis": {"type": "category", "data": ["沁阳市"]}, "series": [{"type": "bar", "data": [3]}]}
    html = render_to_string("web/_echart.html", {"chart_id": "cov", "options": options, "label": "覆盖率"})
    assert '<div class="echart-box" id="cov"><div class="echart" data-echart="cov-options"' in html
    assert 'aria-label="覆盖率"' in html
    assert 'data-echarts-js="/static/vendor/echarts/echarts.min.js"' in html
    block = re.search(r'<script id="cov-options" type="application/json">(.*?)</script>', html).group(1)
    assert json.loads(block) == options
    assert '<script src="/static/ningju/charts.js" defer></script>' in html
